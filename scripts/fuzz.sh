#!/bin/bash
# Builds the libFuzzer targets (tests/fuzz) with clang-14 in build-fuzz and runs each for SECONDS (default 30), two
# at a time, on its corpus: the checked-in seeds (tests/fuzz/corpus/<target>, read only) plus a working corpus in
# ~/.cache/facesearch/fuzz/<target> that every run's findings keep growing. Any crash, leak, timeout or memory
# blow-up fails the run: the target, its reproducer and its log are printed. Quiet on success but one line per target.
#   scripts/fuzz.sh [SECONDS]
#   scripts/fuzz.sh --minimize-into-repo   merges the working corpora's new coverage into tests/fuzz/corpus (to commit)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
minimize=0
for arg in "$@"; do
  case "$arg" in
    --minimize-into-repo) minimize=1 ;;
    '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] | --minimize-into-repo" >&2; exit 2 ;;
    *) seconds=$arg ;;
  esac
done

build=${FUZZ_BUILD:-build-fuzz}
work=${XDG_CACHE_HOME:-$HOME/.cache}/facesearch/fuzz
seeds=tests/fuzz/corpus
mkdir -p "$work/logs"

# Only the fuzz targets and the libraries they link: no tests, benchmarks, Python module or ONNX Runtime.
if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Fuzz \
    -DFACESEARCH_FUZZ=ON -DFACESEARCH_BUILD_TESTS=OFF \
    -DFACESEARCH_BUILD_BENCH=OFF -DFACESEARCH_PYTHON=OFF -DFACESEARCH_ONNXRUNTIME=OFF -DFACESEARCH_OPENVINO=OFF "${launcher[@]}" \
    >"$work/logs/configure.log" 2>&1 || { cat "$work/logs/configure.log"; rm -f "$build/CMakeCache.txt"; exit 1; }
fi
cmake --build "$build" -j "${JOBS:-2}" --target fuzz_targets >"$work/logs/build.log" 2>&1 ||
  { tail -n 60 "$work/logs/build.log"; exit 1; }

targets=()
for dir in "$seeds"/*/; do targets+=("$(basename "$dir")"); done

if [ "$minimize" = 1 ]; then
  # -merge=1 adds to the first folder only the inputs of the others that reach new code; -use_counters=0 counts
  # edges, not hit counts, which keeps the seeds few.
  for t in "${targets[@]}"; do
    before=$(find "$seeds/$t" -type f | wc -l)
    "$build/tests/fuzz/fuzz_$t" -merge=1 -use_counters=0 "$seeds/$t" "$work/$t" >"$work/logs/$t.merge.log" 2>&1 ||
      { tail -n 30 "$work/logs/$t.merge.log"; exit 1; }
    echo "fuzz_$t: $(( $(find "$seeds/$t" -type f | wc -l) - before )) inputs added to $seeds/$t"
  done
  bytes=$(find "$seeds" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  if [ "$bytes" -gt 300000 ]; then
    echo "the seeds now hold $bytes bytes, over the 300 KB budget (docs/SECURITY.md): keep the smallest before committing"
    exit 1
  fi
  exit 0
fi

run_target() {
  local t=$1 log="$work/logs/$1.log" artifacts="$work/artifacts/$1/"
  mkdir -p "$work/$t" "$artifacts"
  local start=$SECONDS status=0
  # ASan's default options under libFuzzer: leaks are findings; a report aborts with the reproducer written.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$work/$t" "$seeds/$t" >"$log" 2>&1 || status=$?
  if [ "$status" != 0 ]; then
    local reproducer
    reproducer=$(grep -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //' || true)
    echo "fuzz_$t: FAILED (exit $status); reproducer: ${reproducer:-none written}; log: $log"
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error)" "$log" | head -n 5 || true
    echo "  reproduce: $build/tests/fuzz/fuzz_$t ${reproducer:-<input>}"
    return 1
  fi
  local runs corpus
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(grep -o "corp: [0-9]*/[0-9]*[a-zA-Z]*" "$log" | tail -n 1 | sed 's/corp: //' || true)
  echo "fuzz_$t: ${runs:-?} runs, corpus ${corpus:-?} (inputs/bytes), $((SECONDS - start)) s"
}

# Two at a time: the machine has two cores.
failed=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge 2 ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
