// Header probes: format, stored size and EXIF orientation without decoding pixels.
#include <algorithm>
#include <array>
#include <climits>

#include "image/codec.hpp"

using namespace std::string_view_literals;

namespace facesearch {

namespace {

using namespace detail;

struct TiffFields {
  int width = 0;
  int height = 0;
  int orientation = 1;
  // What libtiff will allocate by: the tile (or strip) size. 0: not given.
  std::uint32_t tile_width = 0, tile_length = 0, rows_per_strip = 0;
  int repeated_tag = 0;  // a layout tag given twice (libtiff keeps the first, a naive reader the last); 0: none
};

// Width, height, orientation and tile layout from the first IFD of a TIFF structure: a TIFF file or an EXIF payload.
std::optional<TiffFields> read_ifd0(Bytes t) {
  if (t.size() < 8) return std::nullopt;
  const bool le = has(t, 0, "II*\0"sv);
  if (!le && !has(t, 0, "MM\0*"sv)) return std::nullopt;
  auto u16 = [&](std::size_t at) { return le ? le16(&t[at]) : be16(&t[at]); };
  auto u32 = [&](std::size_t at) { return le ? le32(&t[at]) : be32(&t[at]); };
  const std::size_t ifd = u32(4);
  if (ifd > t.size() - 2) return std::nullopt;
  TiffFields out;
  std::array<bool, 6> seen{};  // width, height, rows per strip, tile width, tile length, orientation
  const std::size_t count = u16(ifd);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (e + 12 > t.size()) break;
    const std::uint16_t tag = u16(e), type = u16(e + 2);
    const std::uint32_t n = u32(e + 4);
    constexpr std::array<std::uint16_t, 6> layout_tags = {256, 257, 278, 322, 323, 0x0112};
    const auto slot = std::find(layout_tags.begin(), layout_tags.end(), tag);
    if (slot != layout_tags.end()) {
      bool& before = seen[static_cast<std::size_t>(slot - layout_tags.begin())];
      if (before && !out.repeated_tag) out.repeated_tag = tag;
      before = true;
    }
    if (n != 1 || (type != 3 && type != 4)) continue;  // the tags we want are one SHORT or LONG, held inline
    const std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    const int clamped = static_cast<int>(std::min<std::uint32_t>(value, INT_MAX));
    if (tag == 256) out.width = clamped;
    if (tag == 257) out.height = clamped;
    if (tag == 278) out.rows_per_strip = value;
    if (tag == 322) out.tile_width = value;
    if (tag == 323) out.tile_length = value;
    if (tag == 0x0112 && value >= 1 && value <= 8) out.orientation = clamped;
  }
  return out;
}

bool is_sof(std::uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

std::optional<ImageInfo> probe_png(Bytes b) {
  if (b.size() < 24 || be32(&b[8]) != 13 || !has(b, 12, "IHDR")) return std::nullopt;
  const std::uint32_t w = be32(&b[16]), h = be32(&b[20]);
  if (w > INT_MAX || h > INT_MAX) return std::nullopt;  // beyond what PNG allows
  return ImageInfo{ImageFormat::Png, static_cast<int>(w), static_cast<int>(h), 1};
}

// RIFF chunks: "VP8 " (lossy), "VP8L" (lossless) or "VP8X" (extended: canvas size, then maybe EXIF).
std::optional<ImageInfo> probe_webp(Bytes b) {
  if (b.size() < 20) return std::nullopt;
  ImageInfo info{ImageFormat::Webp};
  bool have_size = false, want_exif = false;
  const std::size_t riff_end = std::min<std::size_t>(b.size(), std::size_t{8} + le32(&b[4]));
  for (std::size_t at = 12; at + 8 <= riff_end;) {
    const std::size_t size = le32(&b[at + 4]);
    const std::size_t begin = at + 8, end = std::min(riff_end, begin + size);
    const Bytes data = b.subspan(begin, end - begin);
    if (has(b, at, "VP8X") && !have_size && data.size() >= 10) {
      want_exif = (data[0] & 0x08) != 0;
      info.width = static_cast<int>(le24(&data[4]) + 1);
      info.height = static_cast<int>(le24(&data[7]) + 1);
      have_size = true;
    } else if (has(b, at, "VP8 ") && !have_size && data.size() >= 10 && has(data, 3, "\x9D\x01\x2A")) {
      info.width = le16(&data[6]) & 0x3FFF;
      info.height = le16(&data[8]) & 0x3FFF;
      have_size = true;
    } else if (has(b, at, "VP8L") && !have_size && data.size() >= 5 && data[0] == 0x2F) {
      const std::uint32_t bits = le32(&data[1]);
      info.width = static_cast<int>((bits & 0x3FFF) + 1);
      info.height = static_cast<int>((bits >> 14 & 0x3FFF) + 1);
      have_size = true;
    } else if (has(b, at, "EXIF")) {
      info.orientation = exif_orientation(data);
      break;
    }
    if (have_size && !want_exif) break;
    at = begin + size + (size & 1);  // chunks are padded to an even size
  }
  if (!have_size) return std::nullopt;
  return info;
}

std::optional<ImageInfo> probe_bmp(Bytes b) {
  if (b.size() < 26) return std::nullopt;
  if (le32(&b[14]) == 12)
    return ImageInfo{ImageFormat::Bmp, le16(&b[18]), le16(&b[20]), 1};  // OS/2 core header
  const auto w = static_cast<std::int32_t>(le32(&b[18])), h = static_cast<std::int32_t>(le32(&b[22]));
  if (h == INT32_MIN) return std::nullopt;
  return ImageInfo{ImageFormat::Bmp, w, h < 0 ? -h : h, 1};  // negative height: rows stored top-down
}

std::optional<ImageInfo> probe_tiff(Bytes b) {
  auto fields = read_ifd0(b);
  if (!fields) return std::nullopt;
  return ImageInfo{ImageFormat::Tiff, fields->width, fields->height, fields->orientation};
}

// "P6 <width> <height> ..." with whitespace and # comments between the fields.
std::optional<ImageInfo> probe_pnm(Bytes b) {
  std::size_t i = 2;
  std::array<int, 2> size = {0, 0};
  for (int& v : size) {
    while (i < b.size() && (is_space(b[i]) || b[i] == '#')) {
      if (b[i] == '#') {
        while (i < b.size() && b[i] != '\n') ++i;
      } else {
        ++i;
      }
    }
    if (i >= b.size() || !is_digit(b[i])) return std::nullopt;
    std::uint64_t value = 0;
    for (; i < b.size() && is_digit(b[i]); ++i) {
      value = value * 10 + (b[i] - '0');
      if (value > INT_MAX) return std::nullopt;
    }
    v = static_cast<int>(value);
  }
  return ImageInfo{ImageFormat::Pnm, size[0], size[1], 1};
}

}  // namespace

int detail::exif_orientation(Bytes payload) {
  if (has(payload, 0, "Exif\0\0"sv)) payload = payload.subspan(6);
  auto fields = read_ifd0(payload);
  return fields ? fields->orientation : 1;
}

std::optional<std::string> detail::tiff_layout_problem(Bytes b) {
  const auto fields = read_ifd0(b);
  if (!fields) return "corrupt TIFF header";
  if (fields->repeated_tag) return "corrupt TIFF header (tag " + std::to_string(fields->repeated_tag) + " given twice)";
  // The decoder allocates a whole tile (or strip) at a time, whatever the image size says: a tile may pad the image
  // up to the next multiple of 16 (the spec's tile unit), no further. RowsPerStrip 2^32-1 means "one strip".
  auto padded = [](int side) { return (static_cast<std::uint64_t>(side) + 15) / 16 * 16; };
  const bool tiled = fields->tile_width || fields->tile_length;
  const std::uint64_t unit_width = tiled ? fields->tile_width : static_cast<std::uint64_t>(fields->width);
  const std::uint64_t unit_rows = tiled ? fields->tile_length
                                  : fields->rows_per_strip == 0xFFFFFFFFu ? 0 : fields->rows_per_strip;
  if ((tiled && (unit_width == 0 || unit_rows == 0)) || unit_width > padded(fields->width) ||
      unit_rows > padded(fields->height))
    return "corrupt TIFF header (" + std::string(tiled ? "tiles of " : "strips of ") + std::to_string(unit_width) +
           "x" + std::to_string(unit_rows) + " pixels in a " + std::to_string(fields->width) + "x" +
           std::to_string(fields->height) + " image)";
  return std::nullopt;
}

std::optional<detail::JpegLayout> detail::walk_jpeg(Bytes b) {
  JpegLayout out;
  out.info.format = ImageFormat::Jpeg;
  bool have_frame = false, have_exif = false;
  std::size_t i = 2;
  while (i + 1 < b.size()) {
    if (b[i] != 0xFF || b[i + 1] == 0xFF || b[i + 1] == 0x00) {
      ++i;  // stray bytes and fill bytes between segments: skipped, as libjpeg does
      continue;
    }
    const std::uint8_t marker = b[i + 1];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      i += 2;
      continue;
    }
    if (marker == 0xD9) break;
    if (marker == 0xDA) {
      out.scan = i;
      break;
    }
    if (i + 4 > b.size()) break;
    const std::size_t length = be16(&b[i + 2]);
    if (length < 2) break;
    const std::size_t begin = i + 4, end = std::min(b.size(), i + 2 + length);
    const Bytes segment = b.subspan(begin, end - begin);
    if (marker == 0xE1 && !have_exif && has(segment, 0, "Exif\0\0"sv)) {
      have_exif = true;
      out.info.orientation = exif_orientation(segment);
    }
    // Precision, height, width, components, 3 bytes each: all checked, so noise cannot pass for a frame.
    if (is_sof(marker) && !have_frame && segment.size() >= 6) {
      const std::uint8_t precision = segment[0], components = segment[5];
      if ((precision == 8 || precision == 12 || precision == 16) && components >= 1 && components <= 4 &&
          length == 8u + 3u * components) {
        out.info.height = be16(&segment[1]);
        out.info.width = be16(&segment[3]);
        have_frame = true;
      }
    }
    i += 2 + length;
  }
  if (!have_frame) return std::nullopt;
  return out;
}

std::optional<ImageInfo> probe_image(Bytes b) {
  switch (sniff_format(b)) {
    case ImageFormat::Jpeg: {
      auto layout = walk_jpeg(b);
      if (!layout) return std::nullopt;
      return layout->info;
    }
    case ImageFormat::Png:
      return probe_png(b);
    case ImageFormat::Webp:
      return probe_webp(b);
    case ImageFormat::Bmp:
      return probe_bmp(b);
    case ImageFormat::Tiff:
      return probe_tiff(b);
    case ImageFormat::Gif:
      if (b.size() < 10) return std::nullopt;
      return ImageInfo{ImageFormat::Gif, le16(&b[6]), le16(&b[8]), 1};
    case ImageFormat::Pnm:
      return probe_pnm(b);
    case ImageFormat::Heif:
      return probe_heif(b);
    case ImageFormat::Unknown:
      break;
  }
  return std::nullopt;
}

}  // namespace facesearch
