#!/usr/bin/env bash
# Builds the phone-like benchmark set: the shared photos listed in bench/phone_set.txt (117 photos with faces, the
# fixed rule is in that file) turned into 12-megapixel photos as a phone takes them, JPEG quality 92, plus HEIC
# copies. Idempotent: photos already made by this recipe are kept; a changed recipe rebuilds the set.
#
#   bench/make_phone_set.sh [--no-heic]      prints the folder of the set (stdout) when done
#
# Each photo is centre-cropped to 4:3 in its own orientation (landscape and square: 4032x3024; portrait: 3024x4032)
# and upscaled with bicubic interpolation to exactly that size; cropping, not padding, because a phone photo has no
# borders (a very wide or tall source loses its edges). JPEG by OpenCV (libjpeg, 4:2:0 chroma, quality 92, no
# EXIF). HEIC by `heif-enc -q 60 -p preset=ultrafast -p chroma=420` (libheif + x265, Debian package
# libheif-examples, installed by scripts/install-deps.sh) from that JPEG: 4:2:0 as phones store it, ~0.5-1 MB
# like a phone's HEIC of this content, and x265's fastest preset (x265's default took minutes of CPU per photo);
# without heif-enc the HEIC copies are skipped with a message.
#
# Output: $FACESEARCH_PHONE_SET, default ~/.cache/facesearch/bench-phone, with jpeg/ and heic/ inside; file names
# are the source paths with '/' turned into '__'. Environment: FACESEARCH_TEST_DATA (default ../shared/data beside
# the checkout), PYTHON (default /usr/bin/python3, needs Debian's python3-opencv).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench/make_phone_set.sh: error: $*" >&2; exit 2; }

HEIC=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-heic) HEIC=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

DATA=${FACESEARCH_TEST_DATA:-../shared/data}
OUT=${FACESEARCH_PHONE_SET:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/bench-phone}
PYTHON=${PYTHON:-/usr/bin/python3}
LIST=bench/phone_set.txt
[ -d "$DATA" ] || die "shared test data not found at '$DATA' (set FACESEARCH_TEST_DATA)"
"$PYTHON" -c 'import cv2' 2>/dev/null || die "$PYTHON cannot import cv2: apt-get install python3-opencv"

# The recipe: the list, this script and OpenCV's version. Another recipe means another set: start again.
RECIPE=$(cat "$LIST" "$0" | sha256sum | cut -c1-16)-$("$PYTHON" -c 'import cv2; print(cv2.__version__)')
if [ "$(cat "$OUT/recipe" 2>/dev/null)" != "$RECIPE" ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT/jpeg"
  echo "$RECIPE" >"$OUT/recipe"
fi

grep -v '^#' "$LIST" | "$PYTHON" -c '
import os, sys
import cv2
data, out = sys.argv[1], sys.argv[2]
made = 0
for rel in (l.strip() for l in sys.stdin):
    if not rel:
        continue
    dst = os.path.join(out, rel.replace("/", "__").rsplit(".", 1)[0] + ".jpg")
    if os.path.exists(dst):
        continue
    img = cv2.imread(os.path.join(data, rel), cv2.IMREAD_COLOR)
    if img is None:
        sys.exit("cannot read " + rel)
    h, w = img.shape[:2]
    tw, th = (4032, 3024) if w >= h else (3024, 4032)
    # Centre crop to the 4:3 (or 3:4) aspect, then upscale to exactly 12 megapixels.
    if w * th > h * tw:
        cw, ch = round(h * tw / th), h
    else:
        cw, ch = w, round(w * th / tw)
    x, y = (w - cw) // 2, (h - ch) // 2
    big = cv2.resize(img[y:y + ch, x:x + cw], (tw, th), interpolation=cv2.INTER_CUBIC)
    tmp = dst + ".tmp.jpg"
    if not cv2.imwrite(tmp, big, [cv2.IMWRITE_JPEG_QUALITY, 92]):
        sys.exit("cannot write " + tmp)
    os.replace(tmp, dst)
    made += 1
print(f"make_phone_set: {made} JPEGs made", file=sys.stderr)
' "$DATA" "$OUT/jpeg"

if [ "$HEIC" = 1 ]; then
  if command -v heif-enc >/dev/null 2>&1; then
    mkdir -p "$OUT/heic"
    made=0
    for jpg in "$OUT"/jpeg/*.jpg; do
      heic=$OUT/heic/$(basename "${jpg%.jpg}").heic
      [ -f "$heic" ] && continue
      heif-enc -q 60 -p preset=ultrafast -p chroma=420 -o "$heic.tmp.heic" "$jpg" >/dev/null || die "heif-enc failed on $jpg"
      mv "$heic.tmp.heic" "$heic"
      made=$((made + 1))
    done
    echo "make_phone_set: $made HEICs made" >&2
  else
    echo "make_phone_set: heif-enc not found (Debian package libheif-examples, scripts/install-deps.sh): no HEIC copies" >&2
  fi
fi
echo "$OUT"
