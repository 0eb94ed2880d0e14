#include "media/photo_source.hpp"

namespace facesearch {

PhotoSource::PhotoSource(std::filesystem::path path, const FrameSourceOptions& options)
    : path_(std::move(path)), decode_(options.decode) {}

std::optional<Frame> PhotoSource::next() {
  if (done_) return std::nullopt;
  done_ = true;
  return Frame{load_image(path_, decode_), 0, {}};
}

bool PhotoSource::sniff(std::span<const std::uint8_t> head) { return sniff_format(head) != ImageFormat::Unknown; }

}  // namespace facesearch
