#!/bin/bash
# Library benchmark: indexing throughput on 1 and 2 threads, re-index of an unchanged tree, a repeated query on the
# index vs `scan` of the same folders (the cost without an index), and bytes per face on disk.
# Usage: bench/library.sh [FOLDER...]   (default: several sets of ../shared/data). Results go to stdout as markdown.
# Environment: COPIES (default 140) for the at-scale part, SCALE_ONLY=1 to run only that part.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FACESEARCH_BIN:-build/facesearch}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 2; }
[ -d "$DATA/deepface_testset" ] || { echo "test data not found at $DATA (set FACESEARCH_TEST_DATA)" >&2; exit 2; }
if [ $# -gt 0 ]; then FOLDERS=("$@"); else
  FOLDERS=("$DATA/deepface_testset" "$DATA/faceapi_bbt" "$DATA/face_recognition_examples" "$DATA/group_photos"
           "$DATA/dlib_faces" "$DATA/openface_examples" "$DATA/facenet_pytorch_testimages")
fi
QUERY=${QUERY:-$DATA/deepface_testset/id01_Angelina_Jolie/img1.jpg}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
secs() { python3 -c "print($2 - $1)"; }
calc() { python3 -c "print($1)"; }

echo "## Library benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
if [ "${SCALE_ONLY:-0}" != 1 ]; then  # SCALE_ONLY=1: only the ~100k-face part below
echo "| step | wall s | notes |"
echo "|---|---|---|"
for jobs in 1 2; do
  t0=$(now)
  "$BIN" --quiet --library "$WORK/lib$jobs" index --jobs $jobs "${FOLDERS[@]}"
  t1=$(now)
  st=$("$BIN" --library "$WORK/lib$jobs" status --json)
  images=$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"])')
  faces=$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["faces"])')
  s=$(secs "$t0" "$t1")
  printf "| index, %d thread(s) | %.2f | %d files, %d faces: %.1f images/s, %.1f faces/s |\n" "$jobs" "$s" "$images" "$faces" \
    "$(calc "$images / $s")" "$(calc "$faces / $s")"
done
t0=$(now); "$BIN" --quiet --library "$WORK/lib2" index "${FOLDERS[@]}"; t1=$(now)
printf "| re-index, nothing changed | %.2f | stat of every file, nothing embedded |\n" "$(secs "$t0" "$t1")"

t0=$(now); "$BIN" --quiet scan -q "$QUERY" -t "${FOLDERS[@]}" --json > "$WORK/scan.jsonl"; t1=$(now)
scan_s=$(secs "$t0" "$t1")
t0=$(now)
for i in 1 2 3 4 5; do "$BIN" --quiet --library "$WORK/lib2" search -q "$QUERY" --json > "$WORK/search.jsonl"; done
t1=$(now)
search_s=$(calc "($t1 - $t0) / 5")
inner=$("$BIN" --library "$WORK/lib2" search -q "$QUERY" 2>&1 >/dev/null | sed -n 's/.*library search \([0-9.]*\) ms.*/\1/p')
printf "| scan of the same folders (no index) | %.2f | %d matches |\n" "$scan_s" "$(wc -l < "$WORK/scan.jsonl")"
printf "| search on the index (whole command) | %.3f | %d matches; vector search + catalog lookup %s ms; the rest is loading models and embedding the query |\n" \
  "$search_s" "$(wc -l < "$WORK/search.jsonl")" "$inner"
printf "\n**Repeat query vs scan: %.0fx faster** (same query, same folders, one run).\n" "$(calc "$scan_s / $search_s")"
st=$("$BIN" --library "$WORK/lib2" status --json)
echo "$st" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("\nOn disk: %d bytes for %d faces and %d images = %.0f bytes per face (catalog incl. image rows, SQLite pages, WAL)." % (s["bytes_on_disk"], s["faces"], s["images"], s["bytes_on_disk"]/max(1,s["faces"])))'

fi

# Storage and search at ~100k faces: symlinked copies of the group photos are indexed as copies (same bytes: faces
# copied in the catalog, nothing re-embedded), which gives real embeddings and real rows at scale quickly.
COPIES=${COPIES:-140}
GROUP=$(cd "$DATA/group_photos" && pwd)
mkdir -p "$WORK/many"
for i in $(seq 1 "$COPIES"); do cp -as "$GROUP" "$WORK/many/$i"; done
# The first copy is analysed, the others are then found to be copies of it (copies of each other inside one
# run would each be analysed: the catalog only knows a hash once an image is committed).
"$BIN" --quiet --library "$WORK/big" index "$WORK/many/1"
t0=$(now); "$BIN" --quiet --library "$WORK/big" index "$WORK/many"; t1=$(now)
st=$("$BIN" --library "$WORK/big" status --json)
jget() { echo "$st" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
faces=$(jget faces); images=$(jget images); total=$(jget bytes_on_disk)
catalog=$(stat -c %s "$WORK/big/catalog.sqlite")
echo
printf "At scale: %d faces in %d images (%d symlinked copies of group_photos); indexing the %d copies after the first (hash + copy rows + HNSW build) %.1f s.\n" \
  "$faces" "$images" "$COPIES" "$((COPIES - 1))" "$(secs "$t0" "$t1")"
printf "Catalog: %.0f bytes per face; everything on disk (catalog + HNSW file): %.0f bytes per face.\n" \
  "$(calc "$catalog / $faces")" "$(calc "$total / $faces")"
for backend in exact hnsw; do
  inner=$("$BIN" --library "$WORK/big" search --vector-search $backend --top 10 -q "$QUERY" 2>&1 >/dev/null | sed -n 's/.*library search \([0-9.]*\) ms.*/\1/p')
  echo "- search --vector-search $backend --top 10 at that size: $inner ms (vector search + catalog lookup, first query of a new process: includes loading the vectors)"
done
