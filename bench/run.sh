#!/usr/bin/env bash
# End-to-end benchmark: facesearch `scan` against a plain Python/OpenCV reference (bench/reference_scan.py),
# on the same photos, in one invocation. Prints the machine, a markdown table and the speed-up ratios.
#
#   bench/run.sh [--query PHOTO] [--target DIR]... [--micro] [--out FILE]      (`make bench` runs it)
#
#   --query PHOTO  the person to look for (default: face_recognition_examples/.../obama.jpg from the shared data)
#   --target DIR   search these folders instead of the default subsets of the shared data (repeatable)
#   --micro        also run build/bench/bench_stages and build/bench/bench_pipeline at the end, when built
#   --out FILE     also write the report to FILE
#
# Environment: FACESEARCH_TEST_DATA (default ../shared/data beside the checkout), FACESEARCH_MODELS (models root),
# FACESEARCH (the binary, default build/facesearch), PYTHON (default /usr/bin/python3, needs Debian's python3-opencv),
# BENCH_QUIET_WAIT (seconds to wait for a quiet machine before each run, default 120; 0: do not wait).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench/run.sh: error: $*" >&2; exit 2; }

QUERY=""
TARGETS=()
MICRO=0
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --query) QUERY=${2:?--query needs a photo}; shift 2 ;;
    --target) TARGETS+=("${2:?--target needs a folder}"); shift 2 ;;
    --micro) MICRO=1; shift ;;
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# ---- what we need -------------------------------------------------------------------------------------------
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
SUBSETS=(deepface_testset faceapi_bbt face_recognition_examples dlib_faces openface_examples
         facenet_pytorch_testimages group_photos)
FACESEARCH=${FACESEARCH:-build/facesearch}
PYTHON=${PYTHON:-/usr/bin/python3}
MODELS_ROOT=${FACESEARCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/models}
MODELS=$MODELS_ROOT/default

if [ ${#TARGETS[@]} -eq 0 ] || [ -z "$QUERY" ]; then
  [ -d "$DATA" ] || die "shared test data not found at '$DATA' (set FACESEARCH_TEST_DATA to the folder holding ${SUBSETS[0]}/ ...)"
fi
[ -n "$QUERY" ] || QUERY=$DATA/face_recognition_examples/knn_examples/train/obama/obama.jpg
[ -f "$QUERY" ] || die "query photo '$QUERY' not found"
[ -x "$FACESEARCH" ] || die "'$FACESEARCH' not built: run 'make build' (or 'make bench', which builds and fetches models)"
for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
  [ -f "$MODELS/$f" ] || die "model $MODELS/$f missing: run 'make models'"
done
[ -x "$PYTHON" ] || die "$PYTHON not found (the reference needs Debian's python3 with python3-opencv)"
"$PYTHON" -c 'import cv2, numpy' 2>/dev/null || die "$PYTHON cannot import cv2/numpy: apt-get install python3-opencv"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/facesearch-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/targets"
if [ ${#TARGETS[@]} -eq 0 ]; then
  for s in "${SUBSETS[@]}"; do
    [ -d "$DATA/$s" ] || die "subset '$s' missing from '$DATA'"
    ln -s "$(realpath "$DATA/$s")" "$TMP/targets/$s"
  done
else
  for t in "${TARGETS[@]}"; do
    [ -d "$t" ] || die "target '$t' is not a folder"
    ln -s "$(realpath "$t")" "$TMP/targets/$(basename "$t")"
  done
fi
# facesearch gets every subset as its own -t (it does not follow symlinks found inside a folder); the reference walks
# the folder of symlinks. Both see the same files.
TARGET_DIRS=("$TMP"/targets/*)
FS_TARGETS=()
for l in "${TARGET_DIRS[@]}"; do FS_TARGETS+=(-t "$l"); done

# ---- the machine ----------------------------------------------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
PY_CV=$("$PYTHON" -c 'import cv2; print(cv2.__version__)')
CXX_CV=$(pkg-config --modversion opencv4 2>/dev/null || echo "?")
REV=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || REV="$REV (with uncommitted changes)"
FILES=$(find -L "$TMP/targets" -type f ! -name '.*' | wc -l)

# Read every photo once so no run pays for the first trip to the disk.
find -L "$TMP/targets" -type f -exec cat {} + >/dev/null

# ---- clocks ---------------------------------------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
# Jiffies the whole machine has spent busy (user, nice, system, irq, softirq, steal).
machine_busy() { local _ u n s i w q sq st r; read -r _ u n s i w q sq st r </proc/stat; echo $((u + n + s + q + sq + st)); }
# user+sys seconds of this shell's finished children. `times` must run in this shell, not in a subshell.
children_cpu_to() {
  times >"$TMP/times"
  tail -1 "$TMP/times" | awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, b, /[ms]/); s += b[1] * 60 + b[2] } printf "%.3f", s }' >"$1"
}
start_clock() { BUSY0=$(machine_busy); children_cpu_to "$TMP/cpu0"; T0=$(now); }
# Writes "wall<TAB>cpu<TAB>others" to $TMP/clock: the run's wall time, its CPU time, and how many cores everything
# else on the machine kept busy meanwhile.
stop_clock() {
  local t1 busy1
  t1=$(now)
  busy1=$(machine_busy)
  children_cpu_to "$TMP/cpu1"
  awk -v t0="$T0" -v t1="$t1" -v b0="$BUSY0" -v b1="$busy1" -v c0="$(cat "$TMP/cpu0")" -v c1="$(cat "$TMP/cpu1")" \
      -v hz="$HZ" 'BEGIN { wall = t1 - t0; cpu = c1 - c0; other = ((b1 - b0) / hz - cpu) / wall
                           if (other < 0) other = 0; printf "%.3f\t%.2f\t%.2f", wall, cpu, other }' >"$TMP/clock"
}

# The machine may be shared: before each run wait (up to BENCH_QUIET_WAIT seconds, default 120) until the rest of
# the machine keeps less than 0.2 cores busy over 3 seconds. The report shows how busy it was during each run.
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) b0 b1
  while [ "$QUIET_WAIT" -gt 0 ]; do
    b0=$(machine_busy); sleep 3; b1=$(machine_busy)
    awk -v d=$((b1 - b0)) -v hz="$HZ" 'BEGIN { exit !(d / hz / 3 < 0.2) }' && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "  the machine is still busy after ${QUIET_WAIT} s of waiting: running anyway" >&2
      return 0
    fi
  done
}

# ---- the runs -------------------------------------------------------------------------------------------------
RESULTS=$TMP/results.tsv  # label, images, faces, matches, seconds (as reported), wall, CPU seconds, others' cores
: >"$RESULTS"

run_reference() {  # label, extra args...
  local label=$1; shift
  wait_quiet
  echo "running: $label" >&2
  start_clock
  "$PYTHON" bench/reference_scan.py --query "$QUERY" --target "$TMP/targets" --models "$MODELS" \
    --threshold 0.34 "$@" >"$TMP/ref.out" 2>"$TMP/ref.err" || { cat "$TMP/ref.err" >&2; die "reference run '$label' failed"; }
  stop_clock
  "$PYTHON" -c '
import json, sys
j = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
clock = open(sys.argv[3]).read().strip()
print("\t".join([sys.argv[1]] + [str(j[k]) for k in ("images", "faces", "matches", "seconds")] + [clock]))
' "$label" "$TMP/ref.out" "$TMP/clock" >>"$RESULTS"
}

run_facesearch() {  # label, extra args...
  local label=$1; shift
  local line
  wait_quiet
  echo "running: $label" >&2
  start_clock
  "$FACESEARCH" scan -q "$QUERY" "${FS_TARGETS[@]}" --threshold 0.34 "$@" >/dev/null 2>"$TMP/fs.err" ||
    { cat "$TMP/fs.err" >&2; die "facesearch run '$label' failed"; }
  stop_clock
  # "254 images scanned, 901 faces found, 14 matches (threshold 0.340), 16 skipped, 14.89 s (17.1 images/s)"
  line=$(grep -E '^[0-9]+ images scanned, ' "$TMP/fs.err" | tail -1) ||
    { cat "$TMP/fs.err" >&2; die "no summary line from facesearch run '$label'"; }
  echo "$line" | sed -E 's/^([0-9]+) images scanned, ([0-9]+) faces found, ([0-9]+) matches .*, ([0-9.]+) s \(.*$/\1\t\2\t\3\t\4/' |
    awk -v l="$label" -v c="$(cat "$TMP/clock")" -F'\t' '{ printf "%s\t%s\t%s\t%s\t%s\t%s\n", l, $1, $2, $3, $4, c }' \
    >>"$RESULTS"
}

REF_DEF="reference (OpenCV default threads)"
REF_ONE="reference (cv2.setNumThreads(1))"
run_reference "$REF_DEF"
run_reference "$REF_ONE" --threads 1
for jobs in 1 2; do
  for small in off auto; do
    run_facesearch "facesearch --jobs $jobs --small-faces $small" --jobs "$jobs" --small-faces "$small"
  done
done

# ---- the report -----------------------------------------------------------------------------------------------
report() {
  echo "## facesearch scan vs the Python reference"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores ($CPU), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- OpenCV: $PY_CV (python3-opencv, reference), $CXX_CV (facesearch)"
  echo "- facesearch: $REV, $FACESEARCH"
  echo "- photos: $FILES files under $(cd "$TMP/targets" && echo *)"
  echo "- query: $QUERY, threshold 0.34"
  echo "- one run each, in this order"
  echo
  echo "| run | images | faces | matches | seconds | images/s | faces/s | wall s | CPU s | others' cores |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %d | %d | %d | %.2f | %.1f | %.1f | %.2f | %.1f | %.2f |\n",
                $1, $2, $3, $4, $5, $2 / $5, $3 / $5, $6, $7, $8 }' "$RESULTS"
  echo
  echo "'seconds' is the scan time each program reports (walking, reading, decoding, detecting and embedding every"
  echo "photo; not loading the models nor the query); 'wall' is the whole process and 'CPU s' its user+sys time."
  echo "'others' cores' is how many of the $(nproc) cores the rest of the machine kept busy during the run, on average"
  echo "(from /proc/stat): near 0 on a quiet machine; above ~0.2 the run was slowed down by someone else."
  echo
  echo "Speed-up (images/s of facesearch over images/s of the reference; wall-clock ratio in brackets):"
  echo
  awk -F'\t' -v rd="$REF_DEF" -v r1="$REF_ONE" '
    { ips[$1] = $2 / $5; wall[$1] = $6; order[n++] = $1 }
    END {
      for (i = 0; i < n; i++) {
        l = order[i]
        if (l !~ /^facesearch --jobs 2/) continue
        printf "- %s: %.2fx the reference with default threads (%.2fx wall), %.2fx the single-thread reference (%.2fx wall)\n",
               l, ips[l] / ips[rd], wall[rd] / wall[l], ips[l] / ips[r1], wall[r1] / wall[l]
      }
      goal = ips["facesearch --jobs 2 --small-faces auto"] / ips[rd]
      printf "\nGoal (>= 3x the reference on 2 cores; facesearch defaults, i.e. --small-faces auto, against the reference as a tutorial leaves it): %s (%.2fx)\n",
             (goal >= 3 ? "MET" : "NOT MET"), goal
    }' "$RESULTS"
}

if [ -n "$OUT" ]; then report | tee "$OUT"; else report; fi

if [ "$MICRO" = 1 ]; then
  for prog in bench_stages bench_pipeline; do
    if [ -x "build/bench/$prog" ]; then
      printf '\n## build/bench/%s\n\n' "$prog"
      if [ "$prog" = bench_stages ]; then
        build/bench/bench_stages "${TARGET_DIRS[@]}" 2>/dev/null
      else
        build/bench/bench_pipeline 2>&1
      fi
    else
      echo "build/bench/$prog not built (cmake --build build --target $prog): skipped" >&2
    fi | if [ -n "$OUT" ]; then tee -a "$OUT"; else cat; fi
  done
fi
