// Videos (MP4/MOV, Matroska/WebM, AVI) as a frame source, decoded with FFmpeg's libavformat/libavcodec: a sample
// of about FrameSourceOptions::video_fps frames per second, upright (display-matrix rotation applied), reduced to
// what detection needs, each with its time in the file.
//
// Sampling decodes as little as it can: frames no other frame refers to are skipped between samples, and when
// the next sample lies past a key frame the packets before that key frame are not decoded at all. With phone
// videos (a key frame every second or two) most of a video is never decoded.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "media/frame_source.hpp"
#include "media/video_segments.hpp"

namespace facesearch {

class VideoDecoder;

class VideoSource : public FrameSource {
 public:
  // Throws ImageError when the file has no video stream FFmpeg can open, or frames larger than the pixel limit.
  VideoSource(std::filesystem::path path, const FrameSourceOptions& options);
  ~VideoSource() override;
  MediaKind kind() const override { return MediaKind::Video; }
  // The next sampled frame. Throws ImageError when the video has no frame at all. The first call starts the
  // decoding threads (VideoSegments), which then stay ahead of the caller.
  std::optional<Frame> next() override;
  // Frames the decoder produced (sampled or not); frames skipped without decoding are not counted.
  std::size_t frames_decoded() const override;

  // The frame shown at `time_ms` (the last frame when the video is shorter), upright and reduced as next()
  // does. Seeks to the key frame before it instead of reading from the start. Throws ImageError when no frame
  // can be decoded there.
  Frame frame_at(std::int64_t time_ms);

  // Registered as "video": ISO-BMFF/QuickTime, Matroska/WebM (EBML) and RIFF AVI headers.
  static bool sniff(std::span<const std::uint8_t> head);

 private:
  std::filesystem::path path_;
  DecodeOptions decode_;
  std::unique_ptr<VideoDecoder> decoder_;  // until next() hands it to segments_; frame_at's
  VideoSegments::Plan plan_;
  std::unique_ptr<VideoSegments> segments_;
  std::int64_t next_slot_ = 0;  // of plan_.grid: the first slot not filled yet
  double last_sample_ms_ = 0;
  std::size_t sampled_ = 0;
};

// The upright frame of the video at `path` shown at `time_ms`, under the same pixel limit and reduction
// (options.decode.min_long_side) as analysis: what a thumbnail of a video face is cut from. Throws ImageError.
Frame read_video_frame(const std::filesystem::path& path, std::int64_t time_ms, const FrameSourceOptions& options);

}  // namespace facesearch
