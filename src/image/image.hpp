// Image loading: format sniffed from content, EXIF-upright, guarded against decompression bombs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facesearch {

enum class ImageFormat { Unknown, Jpeg, Png, Webp, Bmp, Tiff, Heif, Gif, Pnm };

std::string_view format_name(ImageFormat f);

// What the header says, read without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::Unknown;
  int width = 0;        // as stored (before EXIF orientation)
  int height = 0;
  int orientation = 1;  // EXIF orientation 1..8 (1 when absent or unknown)
};

struct DecodeOptions {
  // Images with more pixels than this are refused before any pixel buffer is allocated.
  std::uint64_t max_pixels = 100'000'000;
  // When > 0, a decoder that can cheaply shrink (JPEG DCT scaling) may return an image reduced by 2, 4 or 8
  // as long as its long side stays >= this. DecodedImage::scale says by how much.
  int min_long_side = 0;
};

struct DecodedImage {
  cv::Mat bgr;            // CV_8UC3, EXIF-upright
  ImageFormat format = ImageFormat::Unknown;
  int width = 0;          // upright size at full resolution (what boxes are reported in)
  int height = 0;
  double scale = 1.0;     // full-resolution pixels per pixel of `bgr` (1, 2, 4 or 8)
};

// Why an image could not be used; message is short and human-readable ("truncated JPEG", ...).
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The storage failed while the file was read (EIO: a failing disk, a dropped network share). Not a property of the
// file, so an index records nothing for it and tries it again next time.
class ReadError : public ImageError {
 public:
  using ImageError::ImageError;
};

// A ReadError for the errno a failed read left.
ReadError read_error(int errno_value);

// Format from the leading bytes (magic numbers), never from a file name.
ImageFormat sniff_format(std::span<const std::uint8_t> head);

// Header-only probe: format, stored size and EXIF orientation. nullopt when not a recognised image.
std::optional<ImageInfo> probe_image(std::span<const std::uint8_t> bytes);

// Decode a whole encoded image held in memory. Throws ImageError.
DecodedImage decode_image(std::span<const std::uint8_t> bytes, const DecodeOptions& options = {});

// Read and decode a file. Throws ImageError (unreadable, empty, not an image, corrupt, too large...).
DecodedImage load_image(const std::filesystem::path& path, const DecodeOptions& options = {});

// The first `n` bytes of a file (fewer when it is shorter), to sniff its content. Throws ImageError when it is
// not a regular, non-empty, readable file (with the same reasons as load_image).
std::vector<std::uint8_t> read_file_head(const std::filesystem::path& path, std::size_t n);

}  // namespace facesearch
