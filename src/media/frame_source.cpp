#include "media/frame_source.hpp"

#include "media/photo_source.hpp"
#include "media/video_source.hpp"

namespace facesearch {

namespace {

template <typename Source>
auto opener() {
  return [](const std::filesystem::path& path, const FrameSourceOptions& options) -> std::unique_ptr<FrameSource> {
    return std::make_unique<Source>(path, options);
  };
}

}  // namespace

// One entry per kind of media. Photos come first: HEIF and MP4 share the "ftyp" box, and the photo sniffer
// only accepts HEIF's image brands, so every other "ftyp" file is a video.
const std::vector<MediaType>& media_types() {
  static const std::vector<MediaType> types = {
      {"photo", MediaKind::Photo, &PhotoSource::sniff, opener<PhotoSource>()},
      {"video", MediaKind::Video, &VideoSource::sniff, opener<VideoSource>()},
  };
  return types;
}

const MediaType* sniff_media(std::span<const std::uint8_t> head) {
  for (const MediaType& t : media_types())
    if (t.sniff(head)) return &t;
  return nullptr;
}

std::unique_ptr<FrameSource> open_frame_source(const std::filesystem::path& path, const FrameSourceOptions& options) {
  const std::vector<std::uint8_t> head = read_file_head(path, kMediaSniffBytes);
  const MediaType* type = sniff_media(head);
  if (!type) throw ImageError("not an image (unrecognised content)");
  return type->open(path, options);
}

}  // namespace facesearch
