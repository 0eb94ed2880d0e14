#!/bin/bash
# The int8 pack `default_int8`: the installed `frontal` pack's three networks (the default pack until issue 17; the
# `profile` pack runs the same three files) statically quantised (ONNX Runtime's
# quantize_static, QDQ, int8 per-channel weights, uint8 activations, min/max calibration on real photos), installed
# with `facesearch models add ... --runtime onnxruntime`. Quiet when the pack is already there and current.
#
#   scripts/quantize-pack.sh [BUILD_DIR]     (default build; needs BUILD_DIR/facesearch and bench/bench_runtimes)
#
# Tools: PyPI wheels of pinned versions, `pip download --no-deps`, each checked against its sha256 below, cached in
# ~/.cache/facesearch/quantize/wheels and installed (--no-deps --no-index) into a venv there. They are CPython 3.11
# wheels (the python3 of Debian 12). Calibration inputs: the blobs the C++ engine builds (`bench_runtimes
# --dump-inputs`) from three sets of ../shared/data (LFW stays out, so `eval lfw` is not measured on calibration
# data); each network takes 300 of them, evenly spaced (deterministic). docs/MODELS.md ("int8") has the numbers.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$repo/build}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/quantize"
data="${FACESEARCH_TEST_DATA:-$repo/../shared/data}"
pack=default_int8

# name==version sha256 (PyPI, cp311 manylinux x86_64 or pure Python). onnxruntime's quantisation imports onnx
# (which needs protobuf, ml_dtypes, typing_extensions), numpy and packaging; nothing else is needed.
wheels=(
  "onnxruntime==1.31.1 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f"
  "onnx==1.23.2 c03ecf6b835d136108eeaeeafbd0026fc7b3cf98661409fbc6b63d5a29361348"
  "numpy==2.4.6 89cd468399cfd2504718f0ba50e410dca55a170b61a02ad92bb18c8a65186e93"
  "protobuf==7.36.2 89f23aa53c24553a2416fd4fd1ec06f74fa42b14b546d8883128813f775bbfd2"
  "ml_dtypes==0.6.0 6c8e39b53e90afda8ce52859c93de4dba3e02b76d85dcf091cc469f9184c6dae"
  "typing_extensions==4.16.0 481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8"
  "packaging==26.4 81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2"
)
networks=detector,landmarker,recogniser
# What the pack is made from: when this changes (tools, options, the script's Python part), the pack is remade.
tools="$(printf '%s\n' "${wheels[@]}" | sha256sum | cut -c1-16)"
recipe="$(printf '%s\n' "$tools" "networks=$networks" | cat - "$repo/scripts/quantize_pack.py" | sha256sum | cut -c1-16)"

facesearch="$build/facesearch"
# A field of one pack in `models list --json` (one JSON object per line).
pack_field() {
  "$facesearch" models list --json | python3 -c 'import json, sys
for line in sys.stdin:
    p = json.loads(line)
    if p["id"] == sys.argv[1]: print(p[sys.argv[2]])' "$1" "$2"
}
stamp="$cache/$pack.recipe"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe" ] && [ "$(pack_field "$pack" installed)" = True ]; then
  exit 0
fi

[ -x "$build/bench/bench_runtimes" ] || { echo "quantize-pack: build $build/bench/bench_runtimes first" >&2; exit 2; }
"$facesearch" models fetch frontal
[ -d "$data/group_photos" ] || { echo "quantize-pack: no calibration photos in $data (FACESEARCH_TEST_DATA)" >&2; exit 2; }
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  { echo "quantize-pack: the pinned wheels are for CPython 3.11, python3 is $(python3 --version)" >&2; exit 2; }

echo "making the int8 pack $pack (once, about a minute) ..."
venv="$cache/venv"
if [ ! -f "$venv/installed" ] || [ "$(cat "$venv/installed")" != "$tools" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  mkdir -p "$cache/wheels"
  files=()
  for entry in "${wheels[@]}"; do
    spec="${entry% *}" sha="${entry#* }"
    name="${spec%==*}" version="${spec#*==}"
    file="$(ls "$cache/wheels/${name}-${version}-"*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$file" ]; then
      "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --dest "$cache/wheels" "$spec"
      file="$(ls "$cache/wheels/${name}-${version}-"*.whl | head -n1)"
    fi
    echo "$sha  $file" | sha256sum --check --quiet
    files+=("$file")
  done
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-index "${files[@]}"
  echo "$tools" >"$venv/installed"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$build/bench/bench_runtimes" --dump-inputs "$tmp/inputs" \
  "$data/deepface_testset" "$data/faceapi_bbt" "$data/group_photos" >/dev/null
"$venv/bin/python" "$repo/scripts/quantize_pack.py" --src "$(pack_field frontal dir)" --inputs "$tmp/inputs" \
  --out "$tmp/int8" --networks "$networks" 2>"$tmp/quantize.log" || { cat "$tmp/quantize.log" >&2; exit 1; }
"$facesearch" models add "$pack" --replace --runtime onnxruntime \
  --detector "$tmp/int8/fr_detect.onnx" --detector-type ultralight --detector-input 320 240 \
  --landmarker "$tmp/int8/fr_landmark.onnx" \
  --recognizer "$tmp/int8/fr_feature.onnx" --recognizer-type mobilefacenet --threshold 0.34 \
  --license "MIT (derived by scripts/quantize-pack.sh from pack frontal: faceplugin-face-recognition-js 0.0.1, Copyright (c) 2021 gitguanqi)"
mkdir -p "$cache"
echo "$recipe" >"$stamp"
