// The media seam: a file becomes a sequence of frames, each with its position in the file. A still photo is
// one frame at t = 0; a video is many. Analysis (engine/batch.hpp) works on frames, so a new kind of media is
// a FrameSource plus one entry in media_types() (media/frame_source.cpp); nothing downstream changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/image.hpp"

namespace facesearch {

enum class MediaKind { Photo, Video };

// One picture of a file, upright. `image.width` x `image.height` is the upright frame size at full resolution
// (what boxes are reported in); `image.bgr` may be reduced by `image.scale` where the decoder could do so cheaply.
struct Frame {
  DecodedImage image;
  std::int64_t time_ms = 0;  // position in the file; 0 for a photo
  // Video frames, when FrameSourceOptions::detect_long_side asks for it: the same picture, upright, reduced to that
  // long side while converting from the decoder's YUV (far cheaper than shrinking `image.bgr` afterwards). What
  // detection and shot detection look at; `image` stays for landmarks and face crops. Empty otherwise.
  cv::Mat detect_bgr;
};

struct FrameSourceOptions {
  DecodeOptions decode;  // pixel limit, and how far a decoder may reduce what it returns
  double video_fps = 2.0;          // frames sampled per second of video (<= 0: every frame)
  double max_video_seconds = 0;    // frames after this time are not read (0: the whole video)
  // > 0: video frames also come as Frame::detect_bgr with this long side (when image.bgr is larger).
  int detect_long_side = 0;
  // Threads decoding one video, each its own group of pictures (media/video_segments.hpp).
  int decode_threads = 2;
};

// Frames of one file in time order. Not thread-safe: one source per file per thread.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual MediaKind kind() const = 0;
  // The next frame, or nullopt after the last one. Throws ImageError when the file cannot be read (any
  // further): the caller reports the file with that reason and goes on with the next file.
  virtual std::optional<Frame> next() = 0;
  // Frames decoded so far, returned or skipped by sampling (a photo: 1 once read).
  virtual std::size_t frames_decoded() const = 0;
};

// How a file's first bytes are recognised and opened.
struct MediaType {
  std::string name;
  MediaKind kind = MediaKind::Photo;
  std::function<bool(std::span<const std::uint8_t> head)> sniff;  // head: up to kMediaSniffBytes bytes
  std::function<std::unique_ptr<FrameSource>(const std::filesystem::path& path, const FrameSourceOptions& options)>
      open;
};

// How many leading bytes sniffing reads: every photo and video magic number, and an ISO-BMFF "ftyp" box's brands.
inline constexpr std::size_t kMediaSniffBytes = 32;

// In registration order, which is also the order sniffing tries them in.
const std::vector<MediaType>& media_types();

// The first registered type that recognises `head`, or nullptr.
const MediaType* sniff_media(std::span<const std::uint8_t> head);

// Opens a file as the media its content shows (never its name). Throws ImageError when the file cannot be read
// or is no media this program knows ("not an image (unrecognised content)").
std::unique_ptr<FrameSource> open_frame_source(const std::filesystem::path& path,
                                               const FrameSourceOptions& options = {});

}  // namespace facesearch
