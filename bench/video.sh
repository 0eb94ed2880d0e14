#!/bin/bash
# Video analysis speed: seconds of video analysed per second of wall time on this machine (goal >= 20x real time at
# the default sampling), frames decoded vs frames analysed, and appearances (stored vectors) per minute of video, for
# 1080p and 4K clips built here with ffmpeg from the shared photos (people at known times, camera moves, cuts).
# Usage: bench/video.sh [SECONDS_PER_CLIP]   (default 60). Markdown on stdout. Needs ffmpeg (scripts/install-deps.sh).
# FACESEARCH_BENCH_CLIPS=DIR keeps the clips there and reuses them (building a 4K clip takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FACESEARCH_BIN:-build/facesearch}
DATA=${FACESEARCH_TEST_DATA:-../shared/data}
LENGTH=${1:-60}
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 2; }
[ -d "$DATA/deepface_testset" ] || { echo "test data not found at $DATA (set FACESEARCH_TEST_DATA)" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "ffmpeg missing: scripts/install-deps.sh" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CLIPS=${FACESEARCH_BENCH_CLIPS:-$WORK}
mkdir -p "$CLIPS"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# A clip of LENGTH seconds at WxH, 30 fps, H.264: shots of 5 s, each a slow zoom on one photo of the shared set
# (a new person every shot), the way phone videos move. Shot photos cycle through the deepface identities.
make_clip() {  # make_clip W H OUT
  local w=$1 h=$2 out=$3 shots=$((LENGTH / 5)) inputs=() filters="" i=0
  mapfile -t photos < <(find "$DATA/deepface_testset" -name '*.jpg' | sort | awk 'NR % 4 == 1' | head -n "$shots")
  for p in "${photos[@]}"; do
    inputs+=(-loop 1 -framerate 30 -t 5 -i "$p")
    filters+="[$i]scale=$w:$h:force_original_aspect_ratio=decrease,pad=$w:$h:(ow-iw)/2:(oh-ih)/2,setsar=1,"
    # One output frame per input frame (d=1), zoom growing with the frame number `on` within the shot.
    filters+="zoompan=z='min(1+0.002*on,1.3)':d=1:s=${w}x$h:fps=30,format=yuv420p[s$i];"
    i=$((i + 1))
  done
  for ((k = 0; k < i; k++)); do filters+="[s$k]"; done
  filters+="concat=n=$i:v=1[v]"
  ff "${inputs[@]}" -filter_complex "$filters" -map '[v]' -c:v libx264 -preset veryfast -g 60 -frames:v $((LENGTH * 30)) "$out"
}

echo "## Video analysis ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "Clips of $LENGTH s at 30 fps (H.264; 1080p-hevc: the 1080p clip in HEVC), a new person every 5 s, built by this script. \`facesearch faces --json\`"
echo "with the default pack and options (2 frames analysed per second), one clip at a time, \`--jobs 1\` and \`2\`."
echo "Beside it, in the same run: \`ffmpeg -threads 1\` only decoding every frame of the clip, the yardstick of what a"
echo "tool that reads every frame pays before it looks at any. Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(other work on the machine stretches the wall times far more than the CPU seconds)."
echo
echo "| clip | jobs | wall s | CPU s (user+sys) | x real time | ffmpeg decoding every frame, x real time | frames decoded | frames analysed | appearances | per minute of video |"
echo "|---|---|---|---|---|---|---|---|---|---|"
TIMEFORMAT='%R %U %S'  # bash's `time`: wall, user and system seconds
for size in "1920 1080 1080p" "1920 1080 1080p-hevc" "3840 2160 4K"; do
  read -r w h name <<<"$size"
  clip="$CLIPS/$name-$LENGTH.mp4"
  if [ ! -s "$clip" ]; then
    case $name in
      *-hevc)  # the same clip in HEVC, as phones record (x265 veryfast: B-frames that P-frames refer to)
        base="$CLIPS/${name%-hevc}-$LENGTH.mp4"
        [ -s "$base" ] || make_clip "$w" "$h" "$base"
        ff -i "$base" -c:v libx265 -preset veryfast -x265-params log-level=error:keyint=60 -tag:v hvc1 "$clip" ;;
      *) make_clip "$w" "$h" "$clip" ;;
    esac
  fi
  f0=$(date +%s.%N)
  ffmpeg -hide_banner -loglevel error -nostdin -threads 1 -i "$clip" -map 0:v -fps_mode passthrough -f null -
  f1=$(date +%s.%N)
  ffmpeg_x=$(python3 -c "print(f'{$LENGTH / ($f1 - $f0):.1f}x')")
  for jobs in 1 2; do
    # Two copies of the clip, so that two workers each have a video (one video is analysed by one worker).
    rm -rf "$WORK/set" && mkdir "$WORK/set"
    for c in $(seq 1 "$jobs"); do ln -s "$clip" "$WORK/set/$c.mp4"; done
    read -r wall user sys < <({ time "$BIN" --quiet faces "$WORK/set" --json --jobs "$jobs" > "$WORK/out.jsonl"; } 2>&1)
    python3 - "$name" "$jobs" "$wall" "$user" "$sys" "$LENGTH" "$WORK/out.jsonl" "$ffmpeg_x" <<'PY'
import json, sys
name, jobs, wall, user, system = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
length, path, ffmpeg_x = float(sys.argv[6]), sys.argv[7], sys.argv[8]
records = [json.loads(l) for l in open(path)]
video_s = length * len(records)
decoded = sum(r.get("frames_decoded", 0) for r in records) // len(records)
analysed = sum(r.get("frames_analysed", 0) for r in records) // len(records)
faces = sum(len(r.get("faces", [])) for r in records) // len(records)
print(f"| {name} | {jobs} | {wall:.1f} | {user + system:.1f} | {video_s / wall:.1f}x | {ffmpeg_x} | {decoded} | {analysed} | {faces} | {faces / (length / 60):.0f} |")
PY
  done
done
