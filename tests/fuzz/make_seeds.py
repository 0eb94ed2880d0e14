#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/): tiny synthesized inputs only, never
photos. Needs Debian's python3-opencv: /usr/bin/python3 tests/fuzz/make_seeds.py. Inputs the fuzzers found
are added by scripts/fuzz.sh --minimize-into-repo."""
import json
import pathlib
import struct
import sys

import cv2
import numpy as np

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    name = name.replace(".", "_")  # no image extensions: these are test inputs, not pictures (.gitignore)
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def encoded(ext, image, params=()):
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok, ext
    return buf.tobytes()


def tiff_ifd(entries, little=True):
    """A TIFF with one IFD of (tag, type, count, value) entries, values inline, 8x8 grey strip after it."""
    e = "<" if little else ">"
    head = (b"II*\0" if little else b"MM\0*") + struct.pack(e + "I", 8)
    ifd = struct.pack(e + "H", len(entries))
    for tag, typ, count, value in entries:
        inline = struct.pack(e + "H", value) + b"\0\0" if typ == 3 else struct.pack(e + "I", value)
        ifd += struct.pack(e + "HHI", tag, typ, count) + inline
    return head + ifd + struct.pack(e + "I", 0)


def exif_payload(orientation, little=True):
    return b"Exif\0\0" + tiff_ifd([(0x0112, 3, 1, orientation)], little)


def jpeg_with_exif(jpeg, orientation):
    payload = exif_payload(orientation)
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


def gif(width, height, interlaced=False, transparent=None):
    """A GIF89a of one flat frame: 2-colour palette, LZW codes written by hand (clear, index 0 per pixel, end)."""
    out = b"GIF89a" + struct.pack("<HH", width, height) + bytes([0x80, 0, 0]) + bytes([255, 0, 0, 0, 0, 255])
    if transparent is not None:
        out += b"\x21\xf9\x04\x01\x00\x00" + bytes([transparent]) + b"\x00"
    out += b"\x2c" + struct.pack("<HHHH", 0, 0, width, height) + bytes([0x40 if interlaced else 0])
    # min code size 2: clear = 4, end = 5; 3-bit codes until the table reaches 8 entries. Emit clear, then one
    # index-0 code per pixel with a clear before the table would grow, then end.
    codes, bits = [], []
    for i in range(width * height):
        if i % 2 == 0:
            codes.append(4)
        codes.append(0)
    codes.append(5)
    for c in codes:
        bits.extend((c >> b) & 1 for b in range(3))
    data = bytearray()
    for i in range(0, len(bits), 8):
        data.append(sum(bit << k for k, bit in enumerate(bits[i:i + 8])))
    out += b"\x02"
    for i in range(0, len(data), 255):
        chunk = bytes(data[i:i + 255])
        out += bytes([len(chunk)]) + chunk
    return out + b"\x00\x3b"


def images():
    flat = np.full((8, 8, 3), (40, 120, 200), np.uint8)
    jpeg = encoded(".jpg", flat, [cv2.IMWRITE_JPEG_QUALITY, 50])
    seeds = {
        "flat.jpg": jpeg,
        "orientation6.jpg": jpeg_with_exif(jpeg, 6),
        "progressive.jpg": encoded(".jpg", flat, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        "flat.png": encoded(".png", flat),
        "grey16.png": encoded(".png", np.full((8, 8), 30000, np.uint16)),
        "flat.webp": encoded(".webp", flat, [cv2.IMWRITE_WEBP_QUALITY, 50]),
        "lossless.webp": encoded(".webp", flat, [cv2.IMWRITE_WEBP_QUALITY, 101]),
        "flat.bmp": encoded(".bmp", flat),
        "flat.tif": encoded(".tiff", flat),
        "flat.ppm": encoded(".ppm", flat),
        "flat.pgm": encoded(".pgm", flat[:, :, 0]),
        "flat.gif": gif(8, 8),
        "interlaced.gif": gif(8, 8, interlaced=True, transparent=0),
        # Headers that lie: a repeated width tag, a tile larger than the image, gigapixels claimed in a few bytes.
        "repeated_width.tif": tiff_ifd([(256, 3, 1, 8), (257, 3, 1, 8), (256, 4, 1, 30000)]),
        "huge_tile.tif": tiff_ifd([(256, 3, 1, 64), (257, 3, 1, 64), (322, 4, 1, 65536), (323, 4, 1, 65536)]),
        "big_endian.tif": tiff_ifd([(256, 3, 1, 8), (257, 3, 1, 8), (0x0112, 3, 1, 8)], little=False),
        "claims_gigapixels.png": encoded(".png", flat)[:16] + struct.pack(">II", 100000, 100000) +
        encoded(".png", flat)[24:],
        "heif_brand_only.heic": struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic",
    }
    for name, data in seeds.items():
        write("image_probe", name, data)
        write("image_decode", name, data)
    for name in ("flat.gif", "interlaced.gif"):
        write("gif", name, seeds[name])
    write("gif", "screen_larger_than_frame.gif", seeds["flat.gif"][:6] + struct.pack("<HH", 16, 16) +
          seeds["flat.gif"][10:])
    # Regression input: a 65535x65535 screen around a 1x1 frame (fixed in src/image/gif.cpp: the screen is held to
    # the pixel limit).
    write("gif", "huge_screen_tiny_frame.gif", b"GIF89a\xff\xff\xff\xff\x80\0\0\xff\0\0\0\0\xff\x2c\0\0\0\0\x01\0\x01\0"
          b"\0\x02\x02\x4c\x01\0\x3b")
    for o in range(1, 9):
        write("exif", f"orientation{o}_le", exif_payload(o))
    write("exif", "orientation3_be", exif_payload(3, little=False))
    write("exif", "bare_tiff_orientation5", tiff_ifd([(0x0112, 3, 1, 5)]))


def manifests():
    models = CORPUS.parent.parent.parent / "models"
    for path in sorted(models.glob("*.json")):
        write("manifest", path.name, path.read_text())
    write("manifest", "minimal.json", json.dumps({
        "id": "x", "detector": {"type": "yunet"}, "embedder": {"type": "sface"},
        "files": {"detector": {"name": "d.onnx", "sha256": None}}}))
    # Regression input: numbers nlohmann would cast with undefined behaviour (fixed in src/models/manifest.cpp).
    write("manifest", "float_numbers.json", '{"id": "x", "version": 1e300, "detector": {}, "embedder": {"dim": 2.5},'
          ' "files": {"a": {"name": "n", "sha256": null, "size": -5.5e30}}}')


def requests():
    bodies = {
        "search_face": (0, {"face_id": 12, "threshold": 0.4, "top": 5}),
        "index": (1, {"roots": ["/photos", "/tmp/../srv/pictures"], "reembed": True}),
        "name": (2, {"name": "Ada Lovelace"}),
        "xmp": (3, {"paths": ["/photos/a.jpg"], "in_place": False}),
        "merge": (4, {"into": 3}),
        "move_new": (4, {"person": "new"}),
        "suggestion": (4, {"face_id": 7, "person": "Ada"}),
        "cluster": (4, {"reset": True}),
    }
    for name, (endpoint, body) in bodies.items():
        write("http_json", name, bytes([endpoint]) + json.dumps(body).encode())
    write("http_json", "nul_in_root", b"\x01" + b'{"roots": ["/photos\\u0000/x"]}')

    jpeg = encoded(".jpg", np.full((8, 8, 3), 128, np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 50])
    boundary = b"----fuzzboundary"
    def multipart(parts):
        body = b""
        for name, filename, content in parts:
            disposition = b'form-data; name="' + name + b'"' + (b'; filename="' + filename + b'"' if filename else b"")
            body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n"
            if filename:
                body += b"Content-Type: image/jpeg\r\n"
            body += b"\r\n" + content + b"\r\n"
        return body + b"--" + boundary + b"--\r\n"
    def request(method, path, headers, body=b""):
        head = method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        for k, v in headers:
            head += k + b": " + v + b"\r\n"
        if body:
            head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        return head + b"\r\n" + body
    upload = multipart([(b"image", b"q.jpg", jpeg), (b"face", None, b"largest"), (b"top", None, b"10"),
                        (b"threshold", None, b"0.35")])
    mp = [(b"Content-Type", b"multipart/form-data; boundary=" + boundary)]
    write("http_request", "search_upload", request(b"POST", b"/api/search", mp, upload))
    write("http_request", "search_face_field", request(b"POST", b"/api/search", mp,
                                                       multipart([(b"face_id", None, b"42")])))
    js = [(b"Content-Type", b"application/json")]
    write("http_request", "search_json", request(b"POST", b"/api/search", js, b'{"face_id": 3, "top": 2}'))
    write("http_request", "search_urlencoded", request(b"POST", b"/api/search",
                                                       [(b"Content-Type", b"application/x-www-form-urlencoded")],
                                                       b"face_id=5&threshold=0.5"))
    write("http_request", "index", request(b"POST", b"/api/index", js, b'{"roots": ["/photos"]}'))
    write("http_request", "name", request(b"POST", b"/api/people/4/name", js, b'{"name": "Grace"}'))
    write("http_request", "export_xmp_empty", request(b"POST", b"/api/people/export-xmp", []))
    write("http_request", "suggestions", request(b"GET", b"/api/people/suggestions?top=3", []))


if __name__ == "__main__":
    images()
    manifests()
    requests()
    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    print(f"{CORPUS}: {sum(1 for f in CORPUS.rglob('*') if f.is_file())} files, {total} bytes", file=sys.stderr)
