// Pictures the server sends: face thumbnails and (downscaled) photos, decoded EXIF-upright by the image layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "detect/face.hpp"

namespace facesearch::server {

// The photo on disk is no longer the one that was indexed (other size): boxes would point at the wrong place.
class StalePhotoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RenderLimits {
  std::uint64_t max_pixels = 100'000'000;
  int jpeg_quality = 88;
};

// A square JPEG of `size` px around the face box (with some margin), the photo's upright pixels.
// `width`/`height` are the photo's size at indexing time. Throws ImageError or StalePhotoError.
std::vector<std::uint8_t> face_thumbnail_jpeg(const std::filesystem::path& photo, int width, int height,
                                              const Box& box, int size, const RenderLimits& limits);

// The upright photo as a JPEG whose long side is at most `max_side` (0: full size). Throws ImageError.
std::vector<std::uint8_t> photo_jpeg(const std::filesystem::path& photo, int max_side, const RenderLimits& limits);

}  // namespace facesearch::server
