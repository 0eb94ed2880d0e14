#!/bin/bash
# Load test of `facesearch serve` on loopback: a bounded number of requests from concurrent clients, per kind of
# request, against a library of deepface_testset; prints a markdown table (docs/PERFORMANCE.md, "Server load test").
#
#   bench/load_server.sh [BUILD_DIR]        env: REQUESTS=1000 CLIENTS=8 KINDS="upload face thumbnail" ENGINES=2
set -euo pipefail
build=$(realpath "${1:-build}")
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${FACESEARCH_TEST_DATA:-$repo/../shared/data}
photos=$data/deepface_testset
requests=${REQUESTS:-1000}
clients=${CLIENTS:-8}
kinds=${KINDS:-upload face thumbnail}
[ -d "$photos" ] || { echo "load_server: no test photos at $photos" >&2; exit 1; }
[ -x "$build/bench/bench_load_server" ] || { echo "load_server: build bench_load_server first ($build)" >&2; exit 1; }

library=$build/bench-serve-library
"$build/facesearch" --quiet --library "$library" index "$photos"
out=$(mktemp)
"$build/facesearch" --quiet --library "$library" serve --port 0 --engines "${ENGINES:-2}" >"$out" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
  [ -n "$port" ] && break
  sleep 0.2
done
[ -n "$port" ] || { echo "load_server: the server did not start" >&2; exit 1; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; server: --engines ${ENGINES:-2}, 8 HTTP threads"
echo "command: bench/load_server.sh (REQUESTS=$requests CLIENTS=$clients)"
echo
echo "| request | requests | clients | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
status=0
for kind in $kinds; do
  line=$("$build/bench/bench_load_server" --port "$port" --photos "$photos" --kind "$kind" \
           --requests "$requests" --clients "$clients") || status=1
  python3 - "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
names = {"upload": "POST /api/search (photo upload)", "face": "POST /api/search (face id)",
         "thumbnail": "GET /api/faces/{id}/thumbnail"}
print("| {} | {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
    names[r["kind"]], r["requests"], r["clients"], r["errors"], r["requests_per_second"], r["p50_ms"], r["p90_ms"],
    r["p99_ms"], r["max_ms"]))
PY
done
exit $status
