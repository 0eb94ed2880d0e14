#!/bin/bash
# Per-photo time of model packs through the whole pipeline (`faces --json`, decode + detect + align + pose and
# sharpness, one job): the same photo set for each pack, ROUNDS rounds alternating the packs so that load changes
# on a shared machine hit them alike. The set: the first 80 photos of deepface_testset and group_photos (ordinary
# photos, 0-20 faces) and 60 CFP crops (frontal and profile, one face filling the frame).
# Usage: bench/pack_speed.sh   Environment: PACKS (default "profile frontal blazeface_front blazeface_back"), ROUNDS (2),
# EMBED=1 (also embed every face, as index and scan do).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FACESEARCH_BIN:-build/facesearch}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
PACKS=${PACKS:-profile frontal blazeface_front blazeface_back}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
i=0
for f in $(find "$DATA/deepface_testset" "$DATA/group_photos" -name '*.jpg' | sort | head -80) \
         $(ls -d "$DATA"/cfp_dev/images/0[0-2]?/*/01.jpg | head -60); do
  i=$((i + 1))
  ln -s "$(realpath "$f")" "$WORK/$i.jpg"
done
echo "| round | pack | ms / photo ($i photos, 1 job) | faces found |"
echo "|---|---|---|---|"
for round in $(seq "${ROUNDS:-2}"); do
  for pack in $PACKS; do
    start=$(date +%s%N)
    "$BIN" --quiet --pack "$pack" faces --json ${EMBED:+--embeddings} --jobs 1 "$WORK"/*.jpg > "$WORK/out.json"
    end=$(date +%s%N)
    echo "| $round | $pack | $(( (end - start) / 1000000 / i )) | $(grep -o '"box"' "$WORK/out.json" | wc -l) |"
  done
done
