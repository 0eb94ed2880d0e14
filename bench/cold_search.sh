#!/bin/bash
# Cold CLI search vs warm server search at ~100k faces (issue 11, item 7).
# A library of ~100k real faces is built from symlinked copies of group_photos (the first copy is analysed, the
# others are catalogued as copies: real embeddings, the default pack's fingerprint, nothing re-embedded). Then the
# same query photo is searched REPS times by a new `facesearch search` process each time (process start to last
# line, page cache warm: "cold" means a new process, not a cold disk), and REPS times through a warm
# `facesearch serve` (POST /api/search upload, curl's total time). Prints medians as markdown.
# Usage: bench/cold_search.sh   Environment: FACES (target, default 100000; stays at or under the exact-search
# limit), REPS (default 7), QUERY (photo), KEEP=DIR to keep (and reuse) the library in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FACESEARCH_BIN:-build/facesearch}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
FACES=${FACES:-100000}
REPS=${REPS:-7}
QUERY=${QUERY:-$DATA/deepface_testset/id01_Angelina_Jolie/img1.jpg}
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 2; }
[ -d "$DATA/group_photos" ] || { echo "test data not found at $DATA (set FACESEARCH_TEST_DATA)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
if [ -n "${KEEP:-}" ]; then WORK=$KEEP; mkdir -p "$WORK"; else WORK=$(mktemp -d); fi
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; [ -z "${KEEP:-}" ] && rm -rf "$WORK"; return 0; }
trap cleanup EXIT

now() { date +%s.%N; }
median() { python3 -c 'import sys,statistics; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
faces_of() { "$BIN" --library "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["faces"])'; }

LIB=$WORK/big
GROUP=$(cd "$DATA/group_photos" && pwd)
if [ ! -f "$LIB/catalog.sqlite" ]; then
  mkdir -p "$WORK/many"
  cp -as "$GROUP" "$WORK/many/1"
  "$BIN" --quiet --library "$LIB" index "$WORK/many/1"
  per_copy=$(faces_of "$LIB")
  copies=$((FACES / per_copy))
  for i in $(seq 2 "$copies"); do cp -as "$GROUP" "$WORK/many/$i"; done
  "$BIN" --quiet --library "$LIB" index "$WORK/many"
fi
faces=$(faces_of "$LIB")

# Cold: a new process per search, from exec to its last line of output.
cold=()
for i in $(seq 1 "$REPS"); do
  t0=$(now)
  "$BIN" --quiet --library "$LIB" search -q "$QUERY" --json > "$WORK/cold.txt"
  t1=$(now)
  cold+=("$(python3 -c "print('%.1f' % (($t1 - $t0) * 1000))")")
done
inner=$("$BIN" --library "$LIB" search -q "$QUERY" 2>&1 >/dev/null | sed -n 's/.*library search \([0-9.]*\) ms.*/\1/p')

# Warm: one server, the query uploaded REPS times (after one warm-up request).
"$BIN" --quiet --library "$LIB" serve --port 0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
for _ in $(seq 1 600); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\)/\1/p' "$WORK/serve.out")
[ -n "$url" ] || { echo "serve did not start: $(cat "$WORK/serve.err")" >&2; exit 1; }
curl -sf -F "image=@$QUERY" "${url}api/search" -o "$WORK/warm.json"
warm=()
for i in $(seq 1 "$REPS"); do
  warm+=("$(curl -sf -F "image=@$QUERY" "${url}api/search" -o "$WORK/warm.json" -w '%{time_total}' |
            python3 -c 'import sys; print("%.1f" % (float(sys.stdin.read()) * 1000))')")
done
matches_cli=$(wc -l < "$WORK/cold.txt")
matches_api=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["matches"]))' "$WORK/warm.json")

c=$(median "${cold[@]}")
w=$(median "${warm[@]}")
echo "## Cold CLI search vs warm serve ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "$faces faces; query $(basename "$QUERY"); median of $REPS runs each."
echo
echo "| how | median ms | runs ms | matches |"
echo "|---|---|---|---|"
echo "| cold: \`facesearch search -q\` in a new process (start to last line) | $c | ${cold[*]} | $matches_cli |"
echo "| warm: \`POST /api/search\` upload to a running \`facesearch serve\` | $w | ${warm[*]} | $matches_api |"
echo
echo "Cold / warm: $(python3 -c "print('%.2f' % ($c / $w))")x. Inside the cold process, vector search + catalog lookup took $inner ms (the rest: loading the models and embedding the query)."
