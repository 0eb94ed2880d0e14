#!/bin/bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures build-asan (clang-14, -O1 -g, no
# ONNX Runtime, benchmarks or Python module), builds only the test programs below and runs their unit tests
# (`ctest -L unit`) and the image tests (ImageSniff, ImageDecode, ImageOrientation, ImageErrors); any sanitizer report
# fails its test. Quiet on success but one summary line.
#   scripts/sanitize.sh               the subset that fits CI's time budget (docs/SECURITY.md)
#   scripts/sanitize.sh --full-unit   also the unit tests over the engine's stack (about 2.5x the build)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${SANITIZE_BUILD:-build-asan}
# The cheap unit programs, the image tests (every format, orientation, error and bomb) and the image hardening tests.
tests="test_parallel test_kernels test_vector_file test_xmp_regions test_media test_hardening_image test_image"
case "${1:-}" in
  --full-unit) tests="$tests test_registry test_face_quality test_track test_eval_metrics test_reconciler test_app" ;;
  "") ;;
  *) echo "usage: scripts/sanitize.sh [--full-unit]" >&2; exit 2 ;;
esac
logs=$build/sanitize-logs
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

mkdir -p "$logs"
if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS="$sanitize" \
    -DCMAKE_EXE_LINKER_FLAGS="$sanitize" -DCMAKE_SHARED_LINKER_FLAGS="$sanitize" \
    -DCMAKE_MODULE_LINKER_FLAGS="$sanitize" -DFACESEARCH_ONNXRUNTIME=OFF -DFACESEARCH_OPENVINO=OFF -DFACESEARCH_PYTHON=OFF \
    -DFACESEARCH_BUILD_BENCH=OFF "${launcher[@]}" >"$logs/configure.log" 2>&1 ||
    { cat "$logs/configure.log"; rm -f "$build/CMakeCache.txt"; exit 1; }
fi

# Any report ends the process with an error; leaks count, except third-party ones listed (with reasons) in
# tests/sanitize/lsan.supp.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0"

# shellcheck disable=SC2086  # the list is words
cmake --build "$build" -j "${JOBS:-2}" --target $tests >"$logs/build.log" 2>&1 || { tail -n 60 "$logs/build.log"; exit 1; }
cd "$build"
log=$PWD/sanitize-logs/ctest.log
start=$SECONDS
# Only built programs register their tests: -L unit runs the unit programs above.
if ! { ctest -L unit -j 1 --output-on-failure && ctest -R '^Image' -j 1 --output-on-failure; } >"$log" 2>&1; then
  grep -E "tests passed|\*\*\*|ERROR: (Address|Leak)Sanitizer|runtime error|SUMMARY" "$log" | head -n 40
  echo "sanitize: FAILED; log: $log"
  exit 1
fi
passed=$(grep -o '^100% tests passed, 0 tests failed out of [0-9]*' "$log" | awk '{s += $NF} END {print s}')
echo "sanitize: $passed tests passed under ASan+UBSan ($((SECONDS - start)) s)"
