#!/usr/bin/python3
"""Seed-style reference for the benchmark: the face search as a typical OpenCV tutorial script would write it.

Same three ONNX models as facesearch's default pack, run through cv2.dnn, one image at a time, in one process.
Nothing clever on purpose: no multiprocessing, no reduced JPEG decoding, no batching. It exists only so that
bench/run.sh can say how much faster facesearch is than the obvious way.

    /usr/bin/python3 bench/reference_scan.py --query Q.jpg --target DIR --models DIR [--threshold 0.34] [--threads 1]

Prints one JSON line to stdout: {"images":N,"faces":N,"matches":N,"skipped":N,"seconds":S,...}
"seconds" covers walking the folder and processing every file (not loading the models nor the query), like the
time facesearch's `scan` reports; "total_seconds" is the whole run including model loading and the query.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32)


def load_models(models_dir):
    detector = cv2.dnn.readNetFromONNX(os.path.join(models_dir, "fr_detect.onnx"))
    landmarker = cv2.dnn.readNetFromONNX(os.path.join(models_dir, "fr_landmark.onnx"))
    embedder = cv2.dnn.readNetFromONNX(os.path.join(models_dir, "fr_feature.onnx"))
    return detector, landmarker, embedder


def detect_faces(net, img, score_threshold=0.65, nms_iou=0.4):
    """Ultra-Light RFB-320: whole image squeezed to 320x240. Returns [(x1, y1, x2, y2, score)] in image pixels."""
    h, w = img.shape[:2]
    blob = cv2.dnn.blobFromImage(img, 1.0 / 128, (320, 240), (127, 127, 127), swapRB=True)
    net.setInput(blob)
    scores, boxes = net.forward(["scores", "boxes"])
    scores = scores[0, :, 1]
    boxes = boxes[0] * np.array([w, h, w, h], dtype=np.float32)
    keep = scores >= score_threshold
    scores, boxes = scores[keep], boxes[keep]
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h)
    rects = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
    idx = cv2.dnn.NMSBoxes(rects, scores.tolist(), score_threshold, nms_iou) if rects else []
    return [(*boxes[i].tolist(), float(scores[i])) for i in np.array(idx).flatten()]


def five_landmarks(net, img, box):
    """68 points on a 64x64 grey square crop (side = box height), reduced to the 5 ArcFace points."""
    x1, y1, x2, y2 = box[:4]
    side = y2 - y1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    h, w = img.shape[:2]
    left, top = max(0, int(round(cx - side / 2))), max(0, int(round(cy - side / 2)))
    right, bottom = min(w, int(round(cx + side / 2))), min(h, int(round(cy + side / 2)))
    if right - left < 2 or bottom - top < 2:
        return None
    crop = img[top:bottom, left:right]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    grey = cv2.resize(grey, (64, 64))
    net.setInput(cv2.dnn.blobFromImage(grey, 1.0 / 256))
    pts = net.forward().reshape(68, 2) * np.array([right - left, bottom - top], dtype=np.float32)
    pts += np.array([left, top], dtype=np.float32)
    return np.array([pts[36:42].mean(axis=0), pts[42:48].mean(axis=0), pts[30],
                     (pts[48] + pts[60]) / 2, (pts[54] + pts[64]) / 2], dtype=np.float32)


def align(img, landmarks):
    m, _ = cv2.estimateAffinePartial2D(landmarks, ARCFACE_112, method=cv2.LMEDS)
    return cv2.warpAffine(img, m, (112, 112), borderValue=0.0)


def embed(net, face):
    net.setInput(cv2.dnn.blobFromImage(face, 1.0 / 128, (112, 112), (127, 127, 127), swapRB=True))
    v = net.forward().flatten()
    return v / np.linalg.norm(v)


def analyze(models, img):
    detector, landmarker, embedder = models
    faces = []
    for box in detect_faces(detector, img):
        lm = five_landmarks(landmarker, img, box)
        if lm is None:
            continue
        faces.append((box[4], embed(embedder, align(img, lm))))
    return faces


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--query", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--threshold", type=float, default=0.34)
    ap.add_argument("--threads", type=int, default=None,
                    help="cv2.setNumThreads(N); default: leave OpenCV's own default")
    args = ap.parse_args()

    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    start_all = time.perf_counter()
    models = load_models(args.models)

    query_img = cv2.imread(args.query)
    if query_img is None:
        sys.exit("cannot read the query " + args.query)
    query_faces = analyze(models, query_img)
    if not query_faces:
        sys.exit("no face in the query " + args.query)
    query = max(query_faces, key=lambda f: f[0])[1]

    start = time.perf_counter()
    images = faces = matches = skipped = 0
    for root, dirs, files in os.walk(args.target, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            img = cv2.imread(os.path.join(root, name))
            if img is None:
                skipped += 1
                continue
            images += 1
            for _, emb in analyze(models, img):
                faces += 1
                if float(np.dot(query, emb)) >= args.threshold:
                    matches += 1
    seconds = time.perf_counter() - start

    print(json.dumps({"images": images, "faces": faces, "matches": matches, "skipped": skipped,
                      "seconds": round(seconds, 3), "total_seconds": round(time.perf_counter() - start_all, 3),
                      "threads": cv2.getNumThreads(), "opencv": cv2.__version__}))


if __name__ == "__main__":
    main()
