#!/usr/bin/python3
"""The seed's scan from Python: facesearch's package against face_recognition (dlib) and insightface's model classes,
on the same photos in one run (docs/PERFORMANCE.md, "Python peers"). Not part of `make test`.

    bench/python_peers_setup.sh                 # once: the peers' virtual environment, every file sha256-pinned
    /usr/bin/python3 bench/python_peers.py [--build build] [--data ../shared/data] [--venv DIR]

Each peer runs in a process of its own: facesearch in the Python the build made the extension for (PYTHONPATH=
<build>/python), the peers in the virtual environment (~/.cache/facesearch/bench-venv). Each does the seed's scan:
every photo of deepface_testset (64 photos, 13 people and two group photos), every face detected and embedded,
compared with the query's best face. Measured per peer:
  - images/s of the scan (files listed beforehand; models and the query loaded before the clock starts);
  - accuracy on deepface's own verification pairs (pairs/master.csv: 299 pairs, same/different person), LFW-style:
    the best face of each photo, cosine similarity (face_recognition: minus the Euclidean distance, its own
    measure), 10-fold cross-validated threshold (10 interleaved folds), mean accuracy of the held-out folds.
    A photo without a face makes its pairs "different".
What each peer runs:
  - facesearch: Engine.scan (jobs = cores); Engine.faces photo by photo (the peers' loop: it gives the embeddings
    of the accuracy); the same loop from one Python thread per core (ThreadPoolExecutor).
  - face_recognition 1.3.0 on dlib (dlib-bin 20.0.1.post1: dlib's own prebuilt wheel of the PyPI registry instead of
    a 20-minute source build): HOG detector (upsample 1), 68-point shape predictor, ResNet embedding, its models from
    the PyPI package face_recognition_models 0.3.0. One thread, as the library runs.
  - insightface 2.1 (PyPI) model classes on ONNX Runtime: its buffalo models come from GitHub, which cannot be
    reached here, so its SCRFD class runs scrfd_500m_bnkps.onnx (the insightface SCRFD-500M file in ../shared/models)
    and its ArcFaceONNX class (with its alignment, norm_crop) runs the default pack's recogniser fr_feature.onnx.
    That is insightface's code, not insightface's accuracy: buffalo_l's recogniser is not measured.
  - deepface: not measured; every model it has (VGG-Face, Facenet, ArcFace, ...) is downloaded from GitHub on first
    use and cannot be obtained here.
"""
import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "deepface_testset/id01_Angelina_Jolie/img1.jpg"


# ---- the peers (each runs in its own process: `--peer NAME`) ---------------------------------------------------

def peer_facesearch(args, photos, query):
    import facesearch
    engine = facesearch.Engine()
    engine.embed(query)  # networks loaded before the clock starts
    start = time.perf_counter()
    matches = engine.scan(query, photos)
    seconds = time.perf_counter() - start
    best, count = {}, 0
    one_by_one = time.perf_counter()
    for p in photos:
        faces = engine.faces(p)
        count += len(faces)
        if faces:
            best[p] = max(faces, key=lambda f: f.score).embedding.tolist()
    one_thread = time.perf_counter() - one_by_one
    # The peers' loop from Python threads: the GIL is released during analysis, one engine per thread.
    from concurrent.futures import ThreadPoolExecutor
    threads = os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=threads) as pool:
        start = time.perf_counter()
        list(pool.map(engine.faces, photos))
        threaded = time.perf_counter() - start
    return {"scan_seconds": seconds, "matches": len(matches), "faces": count, "best": best,
            "one_thread_seconds": one_thread, "threads": threads, "threads_seconds": threaded,
            "similarity": "cosine", "version": facesearch.__version__}


def peer_face_recognition(args, photos, query):
    import face_recognition
    import numpy as np

    def faces(path):
        image = face_recognition.load_image_file(path)
        boxes = face_recognition.face_locations(image)
        return boxes, face_recognition.face_encodings(image, boxes)

    boxes, encodings = faces(query)
    target = encodings[int(np.argmax([(b[2] - b[0]) * (b[1] - b[3]) for b in boxes]))]
    start = time.perf_counter()
    matches, best, count = 0, {}, 0
    for p in photos:
        boxes, encodings = faces(p)
        count += len(encodings)
        for e in encodings:
            matches += float(np.linalg.norm(e - target)) <= 0.6
        if encodings:  # the largest face: the HOG detector has no score
            best[p] = (-encodings[int(np.argmax([(b[2] - b[0]) * (b[1] - b[3]) for b in boxes]))]).tolist()
    return {"scan_seconds": time.perf_counter() - start, "matches": matches, "faces": count, "best": best,
            "similarity": "euclidean", "version": face_recognition.__version__}


def peer_insightface(args, photos, query):
    import cv2
    import insightface
    import numpy as np
    from insightface.app.common import Face
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.model_zoo.scrfd import SCRFD

    detector = SCRFD(model_file=str(Path(args.data).parent / "models/scrfd_500m_bnkps.onnx"))
    detector.prepare(-1, input_size=(640, 640), det_thresh=0.5)
    recogniser = ArcFaceONNX(model_file=str(Path(args.models) / "default/fr_feature.onnx"))
    recogniser.prepare(-1)

    def faces(path):
        image = cv2.imread(path)
        if image is None:
            return []
        boxes, points = detector.detect(image, input_size=(640, 640))
        out = []
        for box, kps in zip(boxes, points):
            face = Face(bbox=box[:4], kps=kps, det_score=float(box[4]))
            recogniser.get(image, face)
            out.append((face.det_score, face.normed_embedding))
        return out

    target = max(faces(query), key=lambda f: f[0])[1]
    start = time.perf_counter()
    matches, best, count = 0, {}, 0
    for p in photos:
        found = faces(p)
        count += len(found)
        matches += sum(float(np.dot(e, target)) >= 0.34 for _, e in found)
        if found:
            best[p] = max(found, key=lambda f: f[0])[1].tolist()
    return {"scan_seconds": time.perf_counter() - start, "matches": matches, "faces": count, "best": best,
            "similarity": "cosine", "version": insightface.__version__}


PEERS = {"facesearch": peer_facesearch, "face_recognition": peer_face_recognition, "insightface": peer_insightface}


# ---- accuracy -----------------------------------------------------------------------------------------------

def pair_scores(data, best, euclidean):
    import numpy as np
    staged = {}
    with open(data / "deepface_testset/labels.csv") as f:
        for row in csv.DictReader(f):
            staged[row["original_file"]] = str(data / "deepface_testset" / row["staged_path"])
    scores, same = [], []
    with open(data / "deepface_testset/pairs/master.csv") as f:
        for row in csv.DictReader(f):
            a, b = best.get(staged[row["file_x"]]), best.get(staged[row["file_y"]])
            if a is None or b is None:
                score = -1e9
            elif euclidean:  # stored as minus the encoding: the score is minus the distance
                score = -float(np.linalg.norm(np.array(a) - np.array(b)))
            else:
                score = float(np.dot(a, b))
            scores.append(score)
            same.append(row["Decision"] == "Yes")
    return np.array(scores), np.array(same)


def ten_fold_accuracy(scores, same):
    import numpy as np
    folds = np.arange(len(scores)) % 10
    accuracies = []
    for k in range(10):
        train, test = folds != k, folds == k
        candidates = np.unique(scores[train])
        best = max(candidates, key=lambda t: np.mean((scores[train] >= t) == same[train]))
        accuracies.append(np.mean((scores[test] >= best) == same[test]))
    return float(np.mean(accuracies))


# ---- the run ------------------------------------------------------------------------------------------------

def run_peer(name, args, python, env):
    done = subprocess.run([python, __file__, "--peer", name, "--data", str(args.data), "--models", str(args.models)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=str(REPO / "build"))
    parser.add_argument("--data", default=os.environ.get("FACESEARCH_TEST_DATA", str(REPO.parent / "shared/data")))
    parser.add_argument("--models", default=os.environ.get("FACESEARCH_MODELS",
                                                           str(Path.home() / ".cache/facesearch/models")))
    parser.add_argument("--venv", default=str(Path.home() / ".cache/facesearch/bench-venv"))
    parser.add_argument("--peer", choices=PEERS)
    args = parser.parse_args()
    args.data = Path(args.data)
    photos = sorted(str(p) for p in (args.data / "deepface_testset").rglob("*.jpg"))
    query = str(args.data / QUERY)
    if args.peer:
        print(json.dumps(PEERS[args.peer](args, photos, query)))
        return

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"machine: {platform.node()}, {cpu}, {os.cpu_count()} cores; {len(photos)} photos of deepface_testset")
    env = dict(os.environ, PYTHONPATH=str(Path(args.build) / "python"))
    results = {"facesearch": run_peer("facesearch", args, sys.executable, env)}
    for name in ("face_recognition", "insightface"):
        results[name] = run_peer(name, args, str(Path(args.venv) / "bin/python"), dict(os.environ))
    print(f"{'peer':<28} {'images/s':>9} {'faces':>6} {'matches':>8} {'accuracy (299 pairs)':>21} {'no face':>8}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<28} not measured: {r['error']}")
            continue
        scores, same = pair_scores(args.data, r["best"], r["similarity"] == "euclidean")
        accuracy = ten_fold_accuracy(scores, same)
        faces = r.get("faces", "")
        print(f"{name + ' ' + r['version']:<28} {len(photos) / r['scan_seconds']:>9.2f} {faces!s:>6} "
              f"{r['matches']:>8} {accuracy * 100:>20.2f}% {len(photos) - len(r['best']):>8}")
        if "one_thread_seconds" in r:
            print(f"{'  (faces(), one thread)':<28} {len(photos) / r['one_thread_seconds']:>9.2f}")
            print(f"{'  (faces(), %d threads)' % r['threads']:<28} {len(photos) / r['threads_seconds']:>9.2f}")
    print("deepface: not measured (its model weights are downloaded from GitHub on first use: not reachable here)")


if __name__ == "__main__":
    main()
