#!/bin/bash
# Detector/recogniser candidates on the CFP development half (issue 17): `eval pairs` on frontal-frontal and
# frontal-profile, one JSON line each, then a markdown table (accuracy, accuracy with both faces, pairs missing a
# face, TAR @ FAR 1e-3, ms per photo). The reference detectors of ../shared/models are added as packs with the
# frontal and profile packs' recogniser, in a separate models root that links the installed packs.
# Usage: bench/cfp_pairs.sh   Environment: FOLDS (how many of the 5 folds of 700 pairs, default 2), PACKS (default:
# "profile frontal cand-scrfd25 cand-yunet-s cand-scrfd500m cand-yunet-n dlib"), SMALL_FACES (default off: CFP photos are
# one large face each), JOBS (default 2), WORK (results folder, default a temporary one).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FACESEARCH_BIN:-build/facesearch}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
SHARED_MODELS=${SHARED_MODELS:-$DATA/../models}
INSTALLED=${FACESEARCH_MODELS:-$HOME/.cache/facesearch/models}
FOLDS=${FOLDS:-2}
PACKS=${PACKS:-profile frontal cand-scrfd25 cand-yunet-s cand-scrfd500m cand-yunet-n dlib}
WORK=${WORK:-$(mktemp -d)}
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 2; }
[ -f "$DATA/cfp_dev/pairs_fp.txt" ] || { echo "cfp_dev not found under $DATA (set FACESEARCH_TEST_DATA)" >&2; exit 2; }
mkdir -p "$WORK/models"
for pack in "$INSTALLED"/*/; do ln -sfn "${pack%/}" "$WORK/models/$(basename "$pack")"; done  # every installed pack
REC=$INSTALLED/frontal/fr_feature.onnx  # the recogniser of frontal and profile
add() {  # name detector-file type [extra models add options]
  local name=$1 file=$2 type=$3; shift 3
  "$BIN" --quiet --models "$WORK/models" models add "$name" --detector "$SHARED_MODELS/$file" --detector-type "$type" \
    --recognizer "$REC" --recognizer-type mobilefacenet --replace "$@" >/dev/null
}
add cand-scrfd25 scrfd_2.5g_bnkps.onnx scrfd --license "insightface non-commercial research (detector); MIT"
add cand-scrfd500m scrfd_500m_bnkps.onnx scrfd --license "insightface non-commercial research (detector); MIT"
add cand-yunet-s yunet_s_640_640.onnx yunet --license MIT
add cand-yunet-n yunet_n_320_320.onnx yunet --detector-input 320 320 --license MIT
for proto in ff fp; do head -n $((FOLDS * 700)) "$DATA/cfp_dev/pairs_$proto.txt" > "$WORK/pairs_$proto.txt"; done
echo "| pack | protocol (folds 1-$FOLDS) | accuracy | both faces | pairs missing a face | TAR @ FAR 1e-3 | ms / photo |"
echo "|---|---|---|---|---|---|---|"
for pack in $PACKS; do
  for proto in ff fp; do
    "$BIN" --quiet --models "$WORK/models" --pack "$pack" eval pairs --json --folds 700 \
      --small-faces "${SMALL_FACES:-off}" -j "${JOBS:-2}" --pairs "$WORK/pairs_$proto.txt" --images "$DATA/cfp_dev/images" \
      > "$WORK/$pack-$proto.json"
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("| %s | %s | %.2f%% | %.2f%% | %d (%.2f%%) | %.4f | %.1f |" % (sys.argv[2], sys.argv[3], 100*j["accuracy"], 100*j["accuracy_found"], j["pairs_missing_face"], 100*j["missing_share"], j["tar_at_far"][0]["tar"], j["ms_per_image"]))' \
      "$WORK/$pack-$proto.json" "$pack" "$proto"
  done
done
echo "results: $WORK" >&2
