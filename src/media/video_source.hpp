// Videos (MP4/MOV, Matroska/WebM, AVI) as a frame source, through OpenCV's videoio on FFmpeg: a sample of about
// FrameSourceOptions::video_fps frames per second, upright (display-matrix rotation applied), reduced to what
// detection needs, each with its time in the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "media/frame_source.hpp"

namespace cv {
class Mat;
class VideoCapture;
}

namespace facesearch {

class VideoSource : public FrameSource {
 public:
  // Throws ImageError when the file has no video stream FFmpeg can open, or frames larger than the pixel limit.
  VideoSource(std::filesystem::path path, const FrameSourceOptions& options);
  ~VideoSource() override;
  MediaKind kind() const override { return MediaKind::Video; }
  // The next sampled frame. Frames between samples are grabbed (demuxed and decoded, as inter-frame prediction
  // needs) but never converted to BGR. Throws ImageError when the video has no frame at all.
  std::optional<Frame> next() override;

  std::size_t frames_decoded() const override { return grabbed_; }

  // The frame shown at `time_ms` (the last frame when the video is shorter), upright and reduced as next()
  // does. Seeks (OpenCV decodes from the key frame before) instead of reading from the start.
  // Throws ImageError when no frame can be decoded there.
  Frame frame_at(std::int64_t time_ms);

  // Registered as "video": ISO-BMFF/QuickTime, Matroska/WebM (EBML) and RIFF AVI headers.
  static bool sniff(std::span<const std::uint8_t> head);

 private:
  double position_ms() const;
  Frame to_frame(cv::Mat& bgr, double time_ms) const;

  std::filesystem::path path_;
  std::unique_ptr<cv::VideoCapture> capture_;
  int min_long_side_ = 0;
  double fps_ = 0;              // as the header says; only used when the container gives no timestamps
  double interval_ms_ = 500;    // between samples
  double max_ms_ = 0;           // 0: the whole video
  double next_due_ms_ = 0;
  std::size_t grabbed_ = 0, sampled_ = 0;
};

// The upright frame of the video at `path` shown at `time_ms`, under the same pixel limit and reduction
// (options.decode.min_long_side) as analysis: what a thumbnail of a video face is cut from. Throws ImageError.
Frame read_video_frame(const std::filesystem::path& path, std::int64_t time_ms, const FrameSourceOptions& options);

}  // namespace facesearch
