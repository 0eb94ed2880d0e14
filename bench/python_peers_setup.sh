#!/bin/bash
# The virtual environment of bench/python_peers.py: face_recognition (dlib), insightface, ONNX Runtime and their
# dependencies from PyPI, each file checked against the sha256 in bench/python_peers_requirements.txt. Quiet when
# already there. Needs python3-venv (scripts/install-deps.sh).
#
#   bench/python_peers_setup.sh [DIR]     (default ~/.cache/facesearch/bench-venv)
set -euo pipefail
venv="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/bench-venv}"
requirements="$(dirname "$0")/python_peers_requirements.txt"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import face_recognition, insightface, onnxruntime" 2>/dev/null; then
  exit 0
fi
/usr/bin/python3 -m venv "$venv"
# --no-deps: face_recognition asks for dlib, which dlib-bin provides under another name.
"$venv/bin/pip" install -q --require-hashes --no-deps -r "$requirements"
echo "bench environment in $venv"
