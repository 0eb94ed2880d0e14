#!/bin/bash
# Builds the test videos of tests/test_video.cpp from the deepface_testset photos: known people at known times.
#   scripts/make-test-videos.sh <shared data dir> <output dir>
# Times (seconds) are the truth the test checks; keep them in step with tests/test_video.cpp.
set -euo pipefail
data=$1/deepface_testset
out=$2
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
fit='scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p'
x264=(-c:v libx264 -preset ultrafast -g 50)

# cuts.mp4: id01 0-3 s, id02 3-6 s, nobody 6-8 s, id01 again (another photo) 8-11 s.
ff -loop 1 -framerate 1 -t 3 -i "$data/id01_Angelina_Jolie/img1.jpg" \
   -loop 1 -framerate 1 -t 3 -i "$data/id02/img3.jpg" \
   -f lavfi -t 2 -i color=c=0x406080:s=640x480:r=25 \
   -loop 1 -framerate 1 -t 3 -i "$data/id01_Angelina_Jolie/img4.jpg" \
   -filter_complex "[0]$fit[a];[1]$fit[b];[2]$fit[c];[3]$fit[d];[a][b][c][d]concat=n=4:v=1[v]" \
   -map '[v]' "${x264[@]}" "$out/cuts.mp4"

# reshot.mp4: a cut from one shot of id02 (0-2 s) to another shot of id02 (2-4 s): two appearances.
ff -loop 1 -framerate 1 -t 2 -i "$data/id02/img3.jpg" -loop 1 -framerate 1 -t 2 -i "$data/id02/img12.jpg" \
   -filter_complex "[0]$fit[a];[1]$fit[b];[a][b]concat=n=2:v=1[v]" -map '[v]' "${x264[@]}" "$out/reshot.mp4"

# offcut.mp4: id01 0-3.2 s, then id03 3.2-6 s: a cut between two samples (2 per second), where the encoder starts a
# key frame off its 2-s cadence (forced here; x264's scene-cut detection does the same in real videos).
ff -loop 1 -framerate 25 -t 3.2 -i "$data/id01_Angelina_Jolie/img2.jpg" -loop 1 -framerate 25 -t 2.8 -i "$data/id03/img9.jpg" \
   -filter_complex "[0]$fit[a];[1]$fit[b];[a][b]concat=n=2:v=1[v]" -map '[v]' "${x264[@]}" -force_key_frames 3.2 \
   "$out/offcut.mp4"

# zoom.mkv: id03 zoomed in slowly, 0-5 s (Matroska, H.264).
ff -loop 1 -framerate 1 -i "$data/id03/img8.jpg" \
   -vf "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,zoompan=z='min(zoom+0.003,1.4)':d=125:x='iw/2-(iw/zoom/2)':y='ih/3-(ih/zoom/3)':s=640x480:fps=25,format=yuv420p" \
   -frames:v 125 "${x264[@]}" "$out/zoom.mkv"

# pan.webm: the camera pans across id04, 0-4 s (WebM, VP9).
ff -loop 1 -framerate 1 -t 4 -i "$data/id04/img13.jpg" \
   -vf "scale=-2:480,fps=25,crop=480:480:x='(iw-480)*t/4':y=0,format=yuv420p" \
   -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 1M "$out/pan.webm"

# two.avi: id01 and id03 side by side, 0-4 s (AVI, MPEG-4 part 2).
half='scale=320:480:force_original_aspect_ratio=decrease,pad=320:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p'
ff -loop 1 -framerate 1 -t 4 -i "$data/id01_Angelina_Jolie/img2.jpg" -loop 1 -framerate 1 -t 4 -i "$data/id03/img9.jpg" \
   -filter_complex "[0]$half[l];[1]$half[r];[l][r]hstack[v]" -map '[v]' -c:v mpeg4 -q:v 4 "$out/two.avi"

# portrait.mp4: a phone's portrait video, id02 0-3 s, stored landscape (turned left) with a 90-degree display
# matrix that turns it upright.
ff -loop 1 -framerate 1 -t 3 -i "$data/id02/img12.jpg" \
   -vf "scale=360:640:force_original_aspect_ratio=decrease,pad=360:640:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,transpose=2,format=yuv420p" \
   "${x264[@]}" "$out/stored.mp4"
ff -i "$out/stored.mp4" -c copy -metadata:s:v:0 rotate=90 "$out/portrait.mp4"
rm "$out/stored.mp4"

# uhd8k.mp4: 8K frames (7680x4320), id03, 0-1 s: reduced before detection, boxes in full resolution.
ff -loop 1 -framerate 2 -t 1 -i "$data/id03/img9.jpg" \
   -vf "scale=7680:4320:force_original_aspect_ratio=decrease,pad=7680:4320:(ow-iw)/2:(oh-ih)/2,format=yuv420p" \
   "${x264[@]}" "$out/uhd8k.mp4"

# bframes.mp4: id04 zoomed in slowly 0-3 s, then id02 3-6 s, encoded the way x264 writes most H.264 (B-frames,
# one of them a reference for the others): the decoder skips them between samples.
ff -loop 1 -framerate 1 -t 1 -i "$data/id04/img13.jpg" -loop 1 -framerate 25 -t 3 -i "$data/id02/img12.jpg" \
   -filter_complex "[0]scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,zoompan=z='min(zoom+0.004,1.4)':d=75:x='iw/2-(iw/zoom/2)':y='ih/3-(ih/zoom/3)':s=640x480:fps=25,setsar=1[a];[1]$fit[b];[a][b]concat=n=2:v=1[v]" \
   -map '[v]' -c:v libx264 -preset veryfast -bf 3 -g 50 "$out/bframes.mp4"

# hevc.mov: id03 zoomed in slowly, 0-4 s, in HEVC with B-frames that P-frames refer to (as phones record it), in
# a QuickTime file.
ff -loop 1 -framerate 1 -t 1 -i "$data/id03/img9.jpg" \
   -vf "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,zoompan=z='min(zoom+0.003,1.4)':d=100:x='iw/2-(iw/zoom/2)':y='ih/3-(ih/zoom/3)':s=640x480:fps=25,format=yuv420p" \
   -c:v libx265 -preset veryfast -x265-params log-level=error:bframes=4 -tag:v hvc1 -g 50 "$out/hevc.mov"

# nobody.mp4: a test pattern, no face, 0-3 s.
ff -f lavfi -t 3 -i testsrc=s=640x480:r=25 -vf format=yuv420p "${x264[@]}" "$out/nobody.mp4"

# Bad files.
: > "$out/empty.mp4"
head -c "$(( $(stat -c %s "$out/cuts.mp4") / 2 ))" "$out/cuts.mp4" > "$out/truncated.mp4"  # index at the end: lost
head -c "$(( $(stat -c %s "$out/zoom.mkv") / 2 ))" "$out/zoom.mkv" > "$out/half.mkv"  # header says 5 s, holds ~2.5
{ head -c 64 "$out/zoom.mkv"; head -c 20000 /dev/urandom; } > "$out/corrupt.mkv"
ff -f lavfi -t 2 -i sine=frequency=440 -c:a aac "$out/audio.m4a"
