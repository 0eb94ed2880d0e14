#!/bin/bash
# Builds the Python package's wheel (docs/PYTHON.md) into dist/ with pip and scikit-build-core (pyproject.toml):
# Debian packages, ONNX Runtime and OpenVINO first, as `make build` does. The wheel links this machine's system libraries
# (OpenCV, libheif, SQLite, libpq, FFmpeg): install it on machines with the same Debian packages.
#
#   scripts/build-wheel.sh [PYTHON [PIP OPTIONS...]]    (default: python3; a virtual environment's python works too)
#   e.g. scripts/build-wheel.sh .venv/bin/python --config-settings=build-dir=/tmp/fs-wheel   (kept: the next is quick)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
shift || true
scripts/install-deps.sh
scripts/fetch-onnxruntime.sh
scripts/fetch-openvino.sh
"$python" -m pip wheel --no-deps --wheel-dir dist "$@" .
ls -l dist/facesearch-*.whl
