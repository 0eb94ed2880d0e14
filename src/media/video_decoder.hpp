// One video stream of a file, decoded frame by frame in display order, skipping what the caller says it does not
// need. Internal to media/ (VideoSource is the interface the rest of the program sees).
//
// The decoder (FFmpeg's libav*, media/libav_decoder.cpp) is a module loaded on the first video a run meets:
// libavcodec and its codec libraries are about eighty shared libraries, and loading them would slow the start of
// every command, most of which never see a video.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "media/frame_source.hpp"

namespace facesearch {

class VideoDecoder {
 public:
  virtual ~VideoDecoder() = default;
  // Decodes the next frame in display order and returns its time (ms from the start of the stream); nullopt at
  // the end. Frames shown before `wanted_ms` are not needed: frames no other frame refers to are skipped there,
  // and when a key frame lies at or before `wanted_ms` further on, nothing before it is decoded. A frame at or
  // after wanted_ms (minus half a frame) is never skipped, except that with `slack_ms` > 0 a later frame up to
  // slack_ms away may stand in for it: in H.264, B-frames shown before wanted_ms + slack_ms are then not decoded
  // and the sample is the next I- or P-frame (x264's P-frames never refer to B-frames; HEVC's do, so HEVC and the
  // other codecs decode as without slack). Throws ImageError when a frame exceeds the pixel limit.
  virtual std::optional<double> decode_next(double wanted_ms, double slack_ms) = 0;
  // The frame decode_next() returned last, upright (display matrix applied), reduced so that its long side is
  // not above DecodeOptions::min_long_side (when > 0), in BGR; with `detect_long_side` > 0 (and below that size)
  // also as Frame::detect_bgr.
  virtual Frame frame(int detect_long_side) const = 0;
  // Goes back or forward to the last key frame at or before `time_ms`; false when the container cannot seek.
  virtual bool seek(double time_ms) = 0;
  // The decode times (ms from the start of the stream) of the key frames in the container's index (MP4/MOV
  // always; Matroska cues; AVI idx1), ascending; empty without an index. Key frame i starts segment i.
  virtual std::vector<double> key_frames_ms() const = 0;
  // Decodes segment `index` from here on: the packets from the index's key frame `index` up to the next one
  // (segment 0 starts at the stream's start), read past everything before it without decoding and decoded
  // afresh; decode_next() returns its frames in display order, then nullopt. Segments are begun in ascending
  // order. False when the stream ends before the segment.
  virtual bool begin_segment(std::size_t index) = 0;
  // Whether the frame decode_next() returned last is a key frame off the stream's regular key-frame cadence:
  // where an encoder with scene-cut detection (x264, x265, libvpx) starts a new shot.
  virtual bool scene_cut() const = 0;
  virtual std::size_t frames_decoded() const = 0;
  virtual double frame_interval_ms() const = 0;  // from the header's rate; 0 when unknown
};

// Opens the best video stream of the file. Throws ImageError: no video stream, no frame size, frames larger than
// options.max_pixels, or no video decoding module next to the program.
std::unique_ptr<VideoDecoder> open_video_decoder(const std::filesystem::path& path, const DecodeOptions& options);

// The module's one entry point, exported with C linkage so that dlsym finds it by name; it may throw ImageError.
using OpenVideoDecoderFn = VideoDecoder*(const std::filesystem::path& path, const DecodeOptions& options);
inline constexpr const char* kVideoModuleName = "facesearch-video.so";
inline constexpr const char* kVideoModuleEntry = "facesearch_open_video_decoder_v3";

}  // namespace facesearch
