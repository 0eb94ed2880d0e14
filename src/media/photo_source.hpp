// Still images (every format src/image decodes) as a frame source: one frame at t = 0. An animated GIF gives
// its first frame.
#pragma once

#include <filesystem>

#include "media/frame_source.hpp"

namespace facesearch {

class PhotoSource : public FrameSource {
 public:
  PhotoSource(std::filesystem::path path, const FrameSourceOptions& options);
  MediaKind kind() const override { return MediaKind::Photo; }
  std::optional<Frame> next() override;
  std::size_t frames_decoded() const override { return done_ ? 1 : 0; }

  // Registered as "photo": any content sniff_format knows.
  static bool sniff(std::span<const std::uint8_t> head);

 private:
  std::filesystem::path path_;
  DecodeOptions decode_;
  bool done_ = false;
};

}  // namespace facesearch
