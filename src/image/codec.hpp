// Internals shared by the image files (format.cpp, probe.cpp, heif.cpp, decode.cpp): byte readers and the few
// format-specific steps one file needs from another. Not part of the public API (image/image.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "image/image.hpp"

namespace facesearch::detail {

using Bytes = std::span<const std::uint8_t>;

// Enough for every magic number sniff_format knows, including a few HEIF compatible brands.
inline constexpr std::size_t kSniffBytes = 32;

inline std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
inline std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[1] << 8 | p[0]); }
inline std::uint32_t le24(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[0];
}
inline std::uint32_t le32(const std::uint8_t* p) { return static_cast<std::uint32_t>(p[3]) << 24 | le24(p); }

inline bool has(Bytes b, std::size_t at, std::string_view magic) {
  return b.size() >= at && b.size() - at >= magic.size() &&
         std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

inline bool is_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
inline bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

// "JPEG", "WebP"...: the format's name in messages.
std::string display_name(ImageFormat f);

struct JpegLayout {
  ImageInfo info;
  std::size_t scan = 0;  // offset of the first SOS marker; 0 when the headers end before it
};

// Walks the header segments up to the first scan, by their lengths: APPn payloads such as EXIF thumbnails
// (complete JPEGs themselves) are skipped whole. nullopt without a frame header.
std::optional<JpegLayout> walk_jpeg(Bytes b);

// The EXIF orientation (1..8) of an APP1 / WebP "EXIF" payload ("Exif\0\0" then a TIFF structure, or the TIFF
// structure alone); 1 when absent, unknown or unreadable.
int exif_orientation(Bytes payload);

// Why libtiff would allocate more than the header's size says (a layout tag given twice, tiles or strips larger than
// the image); nullopt when the layout is sound.
std::optional<std::string> tiff_layout_problem(Bytes b);

// HEIF through libheif: header probe (upright size) and decoding of the primary image (upright, BGR).
std::optional<ImageInfo> probe_heif(Bytes b);
cv::Mat decode_heif(Bytes b);

}  // namespace facesearch::detail
