#!/bin/bash
# ONNX Runtime 1.29.0 for the build (CMake option FACESEARCH_ONNXRUNTIME): Microsoft's Linux x64 libonnxruntime.so
# and its C/C++ headers, cached outside the repo, sha256-verified, quiet when already there.
#
#   scripts/fetch-onnxruntime.sh [DEST]     (default ~/.cache/facesearch/onnxruntime/1.29.0; `make build` runs it)
#
# Source: the npm package com.github.asus4.onnxruntime@0.4.9 (MIT), which republishes Microsoft's release builds.
# Its Plugins/Linux/x64/libonnxruntime.so is byte for byte the one in Microsoft's own Maven Central jar
# com.microsoft.onnxruntime:onnxruntime:1.29.0 (ai/onnxruntime/native/linux-x64/libonnxruntime.so, same sha256
# below); the headers come from Microsoft's Android archive in the same package (Plugins/Android/onnxruntime.aar,
# headers/). Maven Central serves the jar but no headers, so one npm download gives both. docs/MODELS.md has more.
set -euo pipefail

version=1.29.0
dest="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/onnxruntime/$version}"
spec="com.github.asus4.onnxruntime@0.4.9"
tarball_sha256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
library_sha256=5715f06d8992ca8eeeddcce43df3a7d38f97d537052126f558e912cb312460ca
aar_sha256=98cddbac92640b4a6af72a03c42e0491851f366d3da66bbaeb5dd66310946cf2

library="$dest/lib/libonnxruntime.so.$version"
if [ -f "$dest/include/onnxruntime_cxx_api.h" ] && [ -f "$library" ] &&
   echo "$library_sha256  $library" | sha256sum --check --status 2>/dev/null; then
  exit 0
fi

echo "fetching ONNX Runtime $version from npm $spec (about 150 MB, once) ..."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# A private npm cache: the tarball is not kept twice.
(cd "$tmp" && npm pack "$spec" --silent --cache "$tmp/npm-cache" >/dev/null)
echo "$tarball_sha256  $(echo "$tmp"/*.tgz)" | sha256sum --check --quiet
tar -xzf "$tmp"/*.tgz -C "$tmp" package/Plugins/Linux/x64/libonnxruntime.so package/Plugins/Android/onnxruntime.aar \
  package/LICENSE package/ThirdPartyNotices.txt
echo "$library_sha256  $tmp/package/Plugins/Linux/x64/libonnxruntime.so" | sha256sum --check --quiet
echo "$aar_sha256  $tmp/package/Plugins/Android/onnxruntime.aar" | sha256sum --check --quiet
mkdir -p "$tmp/out/lib" "$tmp/out/include"
(cd "$tmp/out/include" && unzip -q -j "$tmp/package/Plugins/Android/onnxruntime.aar" 'headers/*')
cp "$tmp/package/Plugins/Linux/x64/libonnxruntime.so" "$tmp/out/lib/libonnxruntime.so.$version"
# The library's SONAME is libonnxruntime.so.1; the linker looks for libonnxruntime.so.
ln -s "libonnxruntime.so.$version" "$tmp/out/lib/libonnxruntime.so.1"
ln -s "libonnxruntime.so.1" "$tmp/out/lib/libonnxruntime.so"
cp "$tmp/package/LICENSE" "$tmp/package/ThirdPartyNotices.txt" "$tmp/out/"
echo "$version" >"$tmp/out/VERSION"
# Swap in the finished folder at once, so an interrupted fetch never leaves a half-filled one behind.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$tmp/out" "$dest"
echo "ONNX Runtime $version in $dest"
