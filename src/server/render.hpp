// Pictures the server sends: face thumbnails and (downscaled) photos, decoded EXIF-upright by the image layer; for a
// video, its upright frame at a given time (media/video_source.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "detect/face.hpp"
#include "media/frame_source.hpp"

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

// Where a picture comes from: a photo, or a video's frame at `time_ms` (a video face's best frame).
struct PictureSource {
  std::filesystem::path path;
  MediaKind kind = MediaKind::Photo;
  std::int64_t time_ms = 0;
  // The file as indexed: a file of another size or mtime is refused (StalePhotoError) before decoding. -1: unchecked.
  std::int64_t size = -1, mtime_ns = 0;
};

// A square JPEG of `size` px around the face box (with some margin), the picture's upright pixels.
// `width`/`height` are the picture's size at indexing time. Throws ImageError or StalePhotoError.
std::vector<std::uint8_t> face_thumbnail_jpeg(const PictureSource& picture, int width, int height, const Box& box,
                                              int size, const RenderLimits& limits);

// The upright picture as a JPEG whose long side is at most `max_side` (0: full size). Throws ImageError.
std::vector<std::uint8_t> photo_jpeg(const PictureSource& picture, int max_side, const RenderLimits& limits);

}  // namespace facesearch::server
