#!/bin/bash
# Sample photos for `make demo`: six group photos shipped in the npm package @vladmandic/face-api@1.7.15
# (package/demo/sample1..6.jpg, MIT-licensed package). Cached outside the repo, sha256-verified, idempotent.
set -euo pipefail

dest="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/samples}"
spec="@vladmandic/face-api@1.7.15"
sums="8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51  sample1.jpg
7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691  sample2.jpg
8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936  sample3.jpg
729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc  sample4.jpg
6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938  sample5.jpg
9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87  sample6.jpg"

if [ -d "$dest" ] && (cd "$dest" && echo "$sums" | sha256sum --check --status 2>/dev/null); then
  exit 0
fi
echo "fetching sample photos from npm $spec ..."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "$spec" --silent >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/demo/sample{1,2,3,4,5,6}.jpg
(cd "$tmp/package/demo" && echo "$sums" | sha256sum --check --quiet)
mkdir -p "$dest"
cp "$tmp"/package/demo/sample*.jpg "$dest/"
echo "sample photos in $dest"
