#!/bin/bash
# OpenVINO 2026.4.1 for the build (CMake option FACESEARCH_OPENVINO): Intel's own runtime, whose CPU plugin uses
# this machine's AVX-512 and AMX (the default pack's recogniser runs ~3x faster on it than on ONNX Runtime here;
# docs/PERFORMANCE.md). Quiet when it is already there.
#
#   scripts/fetch-openvino.sh [DEST]     (default ~/.cache/facesearch/openvino/2026.4.1; `make build` runs it)
#
# Source: Intel's wheel on PyPI, `openvino==2026.4.1` (Apache-2.0), CPython 3.11 manylinux_2_28 x86_64, downloaded
# with `pip download --no-deps` and checked against its sha256. The wheel carries the C headers
# (openvino/include/openvino/c) and the shared libraries (openvino/libs); only the C API, the core, the CPU plugin,
# the ONNX reader and oneTBB are kept (~90 MB), with the licences. Nothing of Python is used.
set -euo pipefail

version=2026.4.1
dest="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/openvino/$version}"
spec="openvino==$version"
wheel_sha256=2d22b1da03f7caf74df30e9f6417d0ab2f637e4a38e08e1dcd294d2c37407aaf
# The libraries the build links or OpenVINO loads at run time (plugins and readers are found beside libopenvino).
libs=(libopenvino_c.so.2641 libopenvino.so.2641 libopenvino_intel_cpu_plugin.so libopenvino_onnx_frontend.so.2641
      libtbb.so.12 libtbbbind_2_5.so.3 libhwloc.so.15)

if [ -f "$dest/include/openvino/c/openvino.h" ] && [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ] &&
   [ -f "$dest/lib/libopenvino_intel_cpu_plugin.so" ]; then
  exit 0
fi

echo "fetching OpenVINO $version from PyPI (a 59 MB wheel, once) ..."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# pip only to download: a throwaway venv (python3-venv is in scripts/install-deps.sh), no package installed.
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version 3.11 --platform manylinux_2_28_x86_64 --dest "$tmp" "$spec"
wheel="$(ls "$tmp"/openvino-"$version"-*.whl)"
echo "$wheel_sha256  $wheel" | sha256sum --check --quiet
mkdir -p "$tmp/out/lib" "$tmp/out/include" "$tmp/x"
(cd "$tmp/x" && unzip -q "$wheel" 'openvino/include/openvino/c/*' "${libs[@]/#/openvino/libs/}" \
  "openvino-$version.dist-info/licenses/*")
cp -r "$tmp/x/openvino/include/openvino" "$tmp/out/include/"
cp "${libs[@]/#/$tmp/x/openvino/libs/}" "$tmp/out/lib/"
# The linker looks for libopenvino_c.so.
ln -s libopenvino_c.so.2641 "$tmp/out/lib/libopenvino_c.so"
cp -r "$tmp/x/openvino-$version.dist-info/licenses" "$tmp/out/"
echo "$version" >"$tmp/out/VERSION"
# Swap in the finished folder at once, so an interrupted fetch never leaves a half-filled one behind.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$tmp/out" "$dest"
echo "OpenVINO $version in $dest"
