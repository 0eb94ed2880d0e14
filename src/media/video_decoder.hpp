// One video stream of a file, decoded with libavformat/libavcodec, frame by frame in display order, skipping what
// the caller says it does not need. Internal to media/ (VideoSource is the interface the rest of the program sees).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "media/frame_source.hpp"

namespace facesearch {

class VideoDecoder {
 public:
  // Opens the best video stream of the file. Throws ImageError: no video stream, no frame size, frames larger
  // than options.max_pixels.
  VideoDecoder(const std::filesystem::path& path, const DecodeOptions& options);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // Decodes the next frame in display order and returns its time (ms from the start of the stream); nullopt at
  // the end. Frames shown before `wanted_ms` are not needed: frames no other frame refers to are skipped there,
  // and when a key frame lies at or before `wanted_ms` further on, nothing before it is decoded. A frame at or
  // after wanted_ms (minus half a frame) is never skipped. Throws ImageError when a frame exceeds the pixel limit.
  std::optional<double> decode_next(double wanted_ms);
  // The frame decode_next() returned last, upright (display matrix applied), reduced so that its long side is
  // not above DecodeOptions::min_long_side (when > 0), in BGR.
  Frame frame() const;
  // Goes back or forward to the last key frame at or before `time_ms`; false when the container cannot seek.
  bool seek(double time_ms);

  std::size_t frames_decoded() const { return decoded_; }
  double frame_interval_ms() const { return frame_ms_; }  // from the header's rate; 0 when unknown

 private:
  struct Av;  // libav* handles
  bool read_packet();                  // the next packet of the stream into Av::packet; false at the end
  std::optional<double> jump_target(double wanted_ms) const;  // a key frame's timestamp worth jumping to
  double to_ms(std::int64_t ts) const;
  std::int64_t to_ts(double ms) const;

  std::unique_ptr<Av> av_;
  DecodeOptions options_;
  std::vector<std::int64_t> key_frames_;  // timestamps (stream time base) of the index's key frames, ascending
  std::int64_t start_ts_ = 0;
  double frame_ms_ = 0;
  double last_ms_ = -1;
  int rotation_ = 0;  // clockwise degrees that turn a stored frame upright: 0, 90, 180 or 270
  bool draining_ = false, ended_ = false;
  std::size_t decoded_ = 0;
};

}  // namespace facesearch
