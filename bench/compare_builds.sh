#!/bin/bash
# Two builds of facesearch on the same work, interleaved in one run (the machine is shared and noisy: only ratios
# measured side by side mean anything): scan of a folder, faces of group photos, index into a new library,
# re-index of an unchanged tree, a search in a new process, and `status`.
# Usage: bench/compare_builds.sh OLD_BINARY NEW_BINARY [REPEATS]   (default 3). Markdown on stdout.
# Environment: FACESEARCH_TEST_DATA (default ../shared/data). Both builds must read the same model pack.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/compare_builds.sh OLD_BINARY NEW_BINARY [REPEATS]}
NEW=${2:?usage: bench/compare_builds.sh OLD_BINARY NEW_BINARY [REPEATS]}
REPEATS=${3:-3}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
for b in "$OLD" "$NEW"; do [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }; done
[ -d "$DATA/deepface_testset" ] || { echo "test data not found at $DATA (set FACESEARCH_TEST_DATA)" >&2; exit 2; }
QUERY=$DATA/deepface_testset/id01_Angelina_Jolie/img1.jpg
SET=("$DATA/deepface_testset" "$DATA/faceapi_bbt" "$DATA/face_recognition_examples" "$DATA/openface_examples")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Seconds of wall time of one command (its output is discarded).
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); python3 -c "print($t1 - $t0)"; }
median() { python3 -c "import statistics,sys; print('%.3f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

declare -A times
step() {  # step NAME BUILD(old|new) COMMAND...: one timed repetition
  local name=$1 which=$2; shift 2
  times["$name/$which"]+=" $(timed "$@")"
}

for ((r = 1; r <= REPEATS; r++)); do
  for which in old new; do
    bin=$OLD; [ "$which" = new ] && bin=$NEW
    lib="$WORK/lib-$which-$r"
    step "scan (4 folders, --jobs 2)" $which "$bin" --quiet scan -q "$QUERY" -t "${SET[@]}" --jobs 2
    step "faces (29 group photos, --jobs 2)" $which "$bin" --quiet faces "$DATA/group_photos" --jobs 2
    step "index into a new library (--jobs 2)" $which "$bin" --quiet --library "$lib" index "${SET[@]}" --jobs 2
    step "re-index, nothing changed" $which "$bin" --quiet --library "$lib" index "${SET[@]}" --jobs 2
    step "search in a new process" $which "$bin" --quiet --library "$lib" search -q "$QUERY"
    step "status" $which "$bin" --quiet --library "$lib" status
  done
done

echo "## Before/after ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "Median of $REPEATS interleaved runs; old = \`$OLD\`, new = \`$NEW\`."
echo
echo "| work | old s | new s | new / old |"
echo "|---|---|---|---|"
for name in "scan (4 folders, --jobs 2)" "faces (29 group photos, --jobs 2)" "index into a new library (--jobs 2)" \
            "re-index, nothing changed" "search in a new process" "status"; do
  # shellcheck disable=SC2086
  o=$(median ${times["$name/old"]}); n=$(median ${times["$name/new"]})
  echo "| $name | $o | $n | $(python3 -c "print('%.2f' % ($n / $o))") |"
done
