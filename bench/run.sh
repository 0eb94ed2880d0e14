#!/usr/bin/env bash
# End-to-end benchmark: facesearch `scan` against a plain Python/OpenCV reference (bench/reference_scan.py),
# on the same photos, in one invocation: the shared set and the phone-like set (12-megapixel JPEGs made by
# bench/make_phone_set.sh, plus facesearch alone on their HEIC copies), then each network's ms per call and
# GFLOP/s against this CPU's peak (build/bench/bench_runtimes), fp32 and, when installed, the int8 pack.
# Prints the machine, markdown tables and the speed-up ratios.
#
#   bench/run.sh [--set shared|phone|both] [--query PHOTO] [--target DIR]... [--no-networks] [--no-heic] [--micro]
#                [--out FILE]
#
#   --set S        which photo sets: shared (the 254 shared photos), phone (the phone-like set), both (default)
#   --query PHOTO  the person to look for (default: face_recognition_examples/.../obama.jpg from the shared data)
#   --target DIR   search these folders instead of the default subsets of the shared data (repeatable)
#   --no-networks  skip the per-network table (bench_runtimes, about 2 minutes)
#   --no-heic      neither make nor scan the HEIC copies of the phone-like set (x265 takes long to make them)
#   --quick        per set only the reference with default threads and facesearch --jobs 2 (off, auto), no int8
#                  scans (the int8 per-network row stays): less than half the time, for a busy machine
#   --micro        also run build/bench/bench_stages and build/bench/bench_pipeline at the end, when built
#   --out FILE     also write the report to FILE
#
# Environment: FACESEARCH_TEST_DATA (default ../shared/data beside the checkout), FACESEARCH_MODELS (models root),
# FACESEARCH (the binary, default build/facesearch), PYTHON (default /usr/bin/python3, needs Debian's python3-opencv),
# BENCH_QUIET_WAIT (seconds to wait for a quiet machine before each run, default 120; 0: do not wait),
# FACESEARCH_PHONE_SET (where bench/make_phone_set.sh keeps the phone-like set).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench/run.sh: error: $*" >&2; exit 2; }

QUERY=""
TARGETS=()
MICRO=0
OUT=""
SETS=both
NETWORKS=1
NO_HEIC=""
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --query) QUERY=${2:?--query needs a photo}; shift 2 ;;
    --target) TARGETS+=("${2:?--target needs a folder}"); shift 2 ;;
    --set) SETS=${2:?--set needs shared, phone or both}; shift 2 ;;
    --no-networks) NETWORKS=0; shift ;;
    --no-heic) NO_HEIC=1; shift ;;
    --quick) QUICK=1; shift ;;
    --micro) MICRO=1; shift ;;
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$SETS" in shared|phone|both) ;; *) die "--set takes shared, phone or both, not '$SETS'" ;; esac

# ---- what we need -------------------------------------------------------------------------------------------
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
SUBSETS=(deepface_testset faceapi_bbt face_recognition_examples dlib_faces openface_examples
         facenet_pytorch_testimages group_photos)
FACESEARCH=${FACESEARCH:-build/facesearch}
PYTHON=${PYTHON:-/usr/bin/python3}
MODELS_ROOT=${FACESEARCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/models}
# The reference (bench/reference_scan.py) runs the `frontal` pack's three networks: facesearch runs that pack too.
MODELS=$MODELS_ROOT/frontal

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
INT8=0
[ -f "$MODELS_ROOT/default_int8/manifest.json" ] && INT8=1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/facesearch-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---- the photo sets -------------------------------------------------------------------------------------------
# Each set is a folder of symlinks, $TMP/<set>/: facesearch gets each link as its own -t (it does not follow
# symlinks found inside a folder); the reference walks the folder of symlinks. Both see the same files.
SET_NAMES=()
link_set() {  # set name, folders...
  local name=$1 t; shift
  mkdir "$TMP/$name"
  for t in "$@"; do
    [ -d "$t" ] || die "'$t' is not a folder"
    ln -s "$(realpath "$t")" "$TMP/$name/$(basename "$t")"
  done
  SET_NAMES+=("$name")
}
if [ "$SETS" != phone ]; then
  if [ ${#TARGETS[@]} -eq 0 ]; then
    for s in "${SUBSETS[@]}"; do [ -d "$DATA/$s" ] || die "subset '$s' missing from '$DATA'"; done
    link_set shared "${SUBSETS[@]/#/$DATA/}"
  else
    link_set targets "${TARGETS[@]}"
  fi
fi
if [ "$SETS" != shared ]; then
  PHONE=$(bench/make_phone_set.sh ${NO_HEIC:+--no-heic}) || die "bench/make_phone_set.sh failed"
  link_set phone "$PHONE/jpeg"
  # The reference cannot read HEIC (OpenCV 4.6 has no HEIF decoder): facesearch alone runs on those copies, when
  # all of them are there.
  if [ -z "$NO_HEIC" ] && [ "$(ls "$PHONE/heic" 2>/dev/null | wc -l)" = "$(ls "$PHONE/jpeg" | wc -l)" ]; then
    link_set phone-heic "$PHONE/heic"
  fi
fi
fs_targets() { local l; for l in "$TMP/$1"/*; do printf '%s\n' -t "$l"; done; }
files_in() { find -L "$TMP/$1" -type f ! -name '.*' | wc -l; }

# ---- the machine ----------------------------------------------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MHZ=$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
PY_CV=$("$PYTHON" -c 'import cv2; print(cv2.__version__)')
CXX_CV=$(pkg-config --modversion opencv4 2>/dev/null || echo "?")
REV=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || REV="$REV (with uncommitted changes)"
# Peak fp32 of one core: clock x 2 AVX-512 FMA units x 16 fp32 lanes x 2 operations per FMA (an AVX-512 Xeon with
# two FMA units, as Skylake-SP Gold/Platinum and every later server core; /proc/cpuinfo's clock, no turbo).
FMA_UNITS=2
if grep -qw avx512f /proc/cpuinfo; then LANES=16; else LANES=8; fi
PEAK_CORE=$(awk -v mhz="$MHZ" -v u="$FMA_UNITS" -v l="$LANES" 'BEGIN { printf "%.1f", mhz / 1000 * u * l * 2 }')

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
RESULTS=$TMP/results.tsv  # set, label, images, faces, matches, seconds (as reported), wall, CPU s, others' cores
: >"$RESULTS"

run_reference() {  # set, label, extra args...
  local set=$1 label=$2; shift 2
  wait_quiet
  echo "running: $set: $label" >&2
  start_clock
  "$PYTHON" bench/reference_scan.py --query "$QUERY" --target "$TMP/$set" --models "$MODELS" \
    --threshold 0.34 "$@" >"$TMP/ref.out" 2>"$TMP/ref.err" || { cat "$TMP/ref.err" >&2; die "reference run '$label' failed"; }
  stop_clock
  "$PYTHON" -c '
import json, sys
j = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])
clock = open(sys.argv[4]).read().strip()
print("\t".join(sys.argv[1:3] + [str(j[k]) for k in ("images", "faces", "matches", "seconds")] + [clock]))
' "$set" "$label" "$TMP/ref.out" "$TMP/clock" >>"$RESULTS"
}

run_facesearch() {  # set, label, pack, scan args...
  local set=$1 label=$2 pack=$3 line
  shift 3
  local targets=()
  mapfile -t targets < <(fs_targets "$set")
  wait_quiet
  echo "running: $set: $label" >&2
  start_clock
  "$FACESEARCH" --pack "$pack" scan -q "$QUERY" "${targets[@]}" --threshold 0.34 "$@" >/dev/null 2>"$TMP/fs.err" ||
    { cat "$TMP/fs.err" >&2; die "facesearch run '$label' failed"; }
  stop_clock
  # "254 images scanned, 901 faces found, 14 matches (threshold 0.340), 16 skipped, 14.89 s (17.1 images/s)"
  line=$(grep -E '^[0-9]+ images scanned, ' "$TMP/fs.err" | tail -1) ||
    { cat "$TMP/fs.err" >&2; die "no summary line from facesearch run '$label'"; }
  echo "$line" | sed -E 's/^([0-9]+) images scanned, ([0-9]+) faces found, ([0-9]+) matches .*, ([0-9.]+) s \(.*$/\1\t\2\t\3\t\4/' |
    awk -v s="$set" -v l="$label" -v c="$(cat "$TMP/clock")" -F'\t' \
      '{ printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s, l, $1, $2, $3, $4, c }' >>"$RESULTS"
}

REF_DEF="reference (OpenCV default threads)"
REF_ONE="reference (cv2.setNumThreads(1))"
GOAL_RUN="facesearch --jobs 2 --small-faces auto"
for set in "${SET_NAMES[@]}"; do
  # Read every photo once so no run pays for the first trip to the disk.
  find -L "$TMP/$set" -type f -exec cat {} + >/dev/null
  if [ "$set" != phone-heic ]; then
    run_reference "$set" "$REF_DEF"
    [ "$QUICK" = 1 ] || run_reference "$set" "$REF_ONE" --threads 1
    for jobs in 1 2; do
      [ "$QUICK" = 1 ] && [ "$jobs" = 1 ] && continue
      for small in off auto; do
        run_facesearch "$set" "facesearch --jobs $jobs --small-faces $small" frontal --jobs "$jobs" --small-faces "$small"
      done
    done
  else
    run_facesearch "$set" "$GOAL_RUN" frontal --jobs 2 --small-faces auto
  fi
  if [ "$INT8" = 1 ] && [ "$QUICK" = 0 ]; then run_facesearch "$set" "$GOAL_RUN, int8 pack" default_int8 --jobs 2 --small-faces auto; fi
done

# Per network: OpenCV DNN vs ONNX Runtime (fp32), then fp32 vs the int8 pack, one thread each.
NETS=$TMP/networks.md
: >"$NETS"
if [ "$NETWORKS" = 1 ]; then
  if [ -x build/bench/bench_runtimes ]; then
    wait_quiet
    echo "running: build/bench/bench_runtimes --rounds 1" >&2
    build/bench/bench_runtimes --rounds 1 >"$TMP/rt.md" 2>"$TMP/rt.err" || { cat "$TMP/rt.err" >&2; die "bench_runtimes failed"; }
    if [ "$INT8" = 1 ]; then
      wait_quiet
      echo "running: build/bench/bench_runtimes --rounds 1 --versus default_int8" >&2
      build/bench/bench_runtimes --rounds 1 --versus default_int8 >"$TMP/rt8.md" 2>"$TMP/rt8.err" ||
        { cat "$TMP/rt8.err" >&2; die "bench_runtimes --versus default_int8 failed"; }
    fi
  else
    echo "build/bench/bench_runtimes not built (cmake --build build --target bench_runtimes): no per-network table" >&2
  fi
fi

# ---- the report -----------------------------------------------------------------------------------------------
set_table() {  # set
  local set=$1
  echo "### $set: $(files_in "$set") files under $(cd "$TMP/$set" && echo *)"
  echo
  echo "| run | images | faces | matches | seconds | images/s | faces/s | wall s | CPU s | others' cores |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' -v s="$set" '$1 == s { printf "| %s | %d | %d | %d | %.2f | %.1f | %.1f | %.2f | %.1f | %.2f |\n",
                $2, $3, $4, $5, $6, $3 / $6, $4 / $6, $7, $8, $9 }' "$RESULTS"
  echo
  [ "$set" = phone-heic ] && { echo "(No reference run: OpenCV 4.6 cannot read HEIC.)"; echo; return; }
  echo "Speed-up (images/s of facesearch over images/s of the reference; wall-clock ratio in brackets):"
  echo
  awk -F'\t' -v s="$set" -v rd="$REF_DEF" -v r1="$REF_ONE" -v goal_run="$GOAL_RUN" '
    $1 == s { ips[$2] = $3 / $6; wall[$2] = $7; order[n++] = $2 }
    END {
      for (i = 0; i < n; i++) {
        l = order[i]
        if (l !~ /^facesearch --jobs 2/) continue
        printf "- %s: %.2fx the reference with default threads (%.2fx wall)", l, ips[l] / ips[rd], wall[rd] / wall[l]
        if (r1 in ips) printf ", %.2fx the single-thread reference (%.2fx wall)", ips[l] / ips[r1], wall[r1] / wall[l]
        printf "\n"
      }
      goal = ips[goal_run] / ips[rd]
      printf "\nGoal on %s (>= 3x the reference on 2 cores; facesearch --pack frontal (the networks of the reference) with --small-faces auto, against the reference as a tutorial leaves it): %s (%.2fx)\n",
             s, (goal >= 3 ? "MET" : "NOT MET"), goal
    }' "$RESULTS"
  echo
}

# FLOPs of one call, counted from the ONNX graphs by bench/onnx_flops.py (multiply-adds of the convolutions and
# matrix products as 2 operations, plus element-wise nodes): detector 1x3x240x320, landmarker 1x1x64x64,
# recogniser 1x3x112x112 of the default pack.
network_table() {
  [ -s "$TMP/rt.md" ] || return 0
  echo "### Per network, one thread"
  echo
  echo "$(grep -m1 '^bench_runtimes:' "$TMP/rt.md")"
  echo
  echo "GFLOP/s = FLOPs of one call / time of one call; peak of one core = $MHZ MHz x $FMA_UNITS FMA units x $LANES fp32"
  echo "lanes x 2 = $PEAK_CORE GFLOP/s (fp32; both cores: $(awk -v p="$PEAK_CORE" -v n="$(nproc)" 'BEGIN { printf "%.1f", p * n }'))."
  echo
  local int8_head="" int8_sep=""
  if [ -s "$TMP/rt8.md" ]; then
    int8_head=" fp32 (ms), same run as int8 | int8 pack (ms) | int8 speed-up |"
    int8_sep="---:|---:|---:|"
  fi
  echo "| network | GFLOP per call | OpenCV DNN (ms) | ONNX Runtime (ms) | ONNX Runtime GFLOP/s | % of one core's fp32 peak | OpenVINO (ms) | OpenVINO GFLOP/s | % of peak |$int8_head"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|$int8_sep"
  local has_ov=0
  grep -q 'OpenVINO (ms)' "$TMP/rt.md" && has_ov=1
  awk -F'|' -v peak="$PEAK_CORE" -v int8file="$TMP/rt8.md" -v has_ov="$has_ov" '
    BEGIN {
      flops["detector"] = 0.2071; flops["landmarker"] = 0.0321; flops["recogniser"] = 0.4487
      while ((getline line < int8file) > 0) {
        split(line, c, "|")
        if (c[2] ~ /^ (detector|landmarker|recogniser)/) { split(c[2], w, " "); fp[w[1]] = c[3] + 0; q[w[1]] = c[4] + 0 }
      }
    }
    $2 ~ /^ (detector|landmarker|recogniser)/ {
      # bench_runtimes columns: OpenCV DNN, ONNX Runtime, OpenVINO (ms), then the speed-ups.
      split($2, w, " "); name = w[1]; ort = $4 + 0; ov = $5 + 0
      gfs = flops[name] / (ort / 1000); ovgfs = has_ov ? flops[name] / (ov / 1000) : 0
      printf "|%s| %.4f | %.2f | %.2f | %.1f | %.1f%% |", $2, flops[name], $3 + 0, ort, gfs, 100 * gfs / peak
      if (has_ov) printf " %.2f | %.1f | %.1f%% |", ov, ovgfs, 100 * ovgfs / peak
      else printf " (not built) | | |"
      if (name in q) printf " %.2f | %.2f | %.2fx |", fp[name], q[name], fp[name] / q[name]
      printf "\n"
    }' "$TMP/rt.md"
  echo
  if [ -s "$TMP/rt8.md" ]; then
    echo "int8 rows: both packs on ONNX Runtime, taking turns (build/bench/bench_runtimes --versus default_int8)."
  else
    echo "int8: pack default_int8 not installed (make int8-pack): no int8 columns."
  fi
}

report() {
  echo "## facesearch scan vs the Python reference"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores ($CPU, $MHZ MHz), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- OpenCV: $PY_CV (python3-opencv, reference), $CXX_CV (facesearch)"
  echo "- facesearch: $REV, $FACESEARCH"
  echo "- query: $QUERY, threshold 0.34"
  echo "- one run each, in this order; int8 pack: $([ "$INT8" = 1 ] && echo installed || echo 'not installed (make int8-pack)')"
  echo
  local set
  for set in "${SET_NAMES[@]}"; do set_table "$set"; done
  echo "'seconds' is the scan time each program reports (walking, reading, decoding, detecting and embedding every"
  echo "photo; not loading the models nor the query); 'wall' is the whole process and 'CPU s' its user+sys time."
  echo "'others' cores' is how many of the $(nproc) cores the rest of the machine kept busy during the run, on average"
  echo "(from /proc/stat): near 0 on a quiet machine; above ~0.2 the run was slowed down by someone else."
  echo
  network_table
}

if [ -n "$OUT" ]; then report | tee "$OUT"; else report; fi

if [ "$MICRO" = 1 ]; then
  for prog in bench_stages bench_pipeline; do
    if [ -x "build/bench/$prog" ]; then
      printf '\n## build/bench/%s\n\n' "$prog"
      if [ "$prog" = bench_stages ]; then
        for set in "${SET_NAMES[@]}"; do build/bench/bench_stages "$TMP/$set"/* 2>/dev/null; echo; done
      else
        build/bench/bench_pipeline 2>&1
      fi
    else
      echo "build/bench/$prog not built (cmake --build build --target $prog): skipped" >&2
    fi | if [ -n "$OUT" ]; then tee -a "$OUT"; else cat; fi
  done
fi
