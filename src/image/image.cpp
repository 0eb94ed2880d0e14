#include "image/image.hpp"

#include <libheif/heif.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string_view>
#include <system_error>
#include <vector>

#include "image/gif.hpp"

namespace fs = std::filesystem;
using namespace std::string_view_literals;

namespace facesearch {

namespace {

using Bytes = std::span<const std::uint8_t>;

// Nothing a camera writes is this big, but a video lying among the photos can be: never read it whole.
constexpr std::uintmax_t kMaxFileBytes = 512ull << 20;
// Enough for every magic number below, including a few HEIF compatible brands.
constexpr std::size_t kSniffBytes = 32;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[1] << 8 | p[0]); }
std::uint32_t le24(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[0];
}
std::uint32_t le32(const std::uint8_t* p) { return static_cast<std::uint32_t>(p[3]) << 24 | le24(p); }

bool has(Bytes b, std::size_t at, std::string_view magic) {
  return b.size() >= at && b.size() - at >= magic.size() &&
         std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::string display_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg:
      return "JPEG";
    case ImageFormat::Png:
      return "PNG";
    case ImageFormat::Webp:
      return "WebP";
    case ImageFormat::Bmp:
      return "BMP";
    case ImageFormat::Tiff:
      return "TIFF";
    case ImageFormat::Heif:
      return "HEIF";
    case ImageFormat::Gif:
      return "GIF";
    case ImageFormat::Pnm:
      return "PNM";
    case ImageFormat::Unknown:
      break;
  }
  return "unknown";
}

// ---- sniffing --------------------------------------------------------------------------------------------

bool is_bmp(Bytes h) {
  if (!has(h, 0, "BM") || h.size() < 18) return false;
  // Two letters are too weak a signature on their own: also require a known DIB header size.
  static constexpr std::array<std::uint32_t, 7> kDibHeaderSizes = {12, 40, 52, 56, 64, 108, 124};
  return std::find(kDibHeaderSizes.begin(), kDibHeaderSizes.end(), le32(&h[14])) != kDibHeaderSizes.end();
}

bool is_heif(Bytes h) {
  if (!has(h, 4, "ftyp") || h.size() < 12) return false;
  static constexpr std::array<std::string_view, 9> kBrands = {"heic", "heix", "hevc", "hevx", "heim",
                                                              "heis", "mif1", "msf1", "avif"};
  auto known = [&](std::size_t at) {
    return std::any_of(kBrands.begin(), kBrands.end(), [&](std::string_view b) { return has(h, at, b); });
  };
  if (known(8)) return true;  // major brand
  // Compatible brands follow the minor version, up to the end of the ftyp box.
  const std::size_t box_end = std::min<std::size_t>(be32(&h[0]), h.size());
  for (std::size_t at = 16; at + 4 <= box_end; at += 4)
    if (known(at)) return true;
  return false;
}

bool is_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

// ---- header probes ---------------------------------------------------------------------------------------

struct TiffFields {
  int width = 0;
  int height = 0;
  int orientation = 1;
};

// Width, height and orientation from the first IFD of a TIFF structure: a TIFF file or an EXIF payload.
std::optional<TiffFields> read_ifd0(Bytes t) {
  if (t.size() < 8) return std::nullopt;
  const bool le = has(t, 0, "II*\0"sv);
  if (!le && !has(t, 0, "MM\0*"sv)) return std::nullopt;
  auto u16 = [&](std::size_t at) { return le ? le16(&t[at]) : be16(&t[at]); };
  auto u32 = [&](std::size_t at) { return le ? le32(&t[at]) : be32(&t[at]); };
  const std::size_t ifd = u32(4);
  if (ifd > t.size() - 2) return std::nullopt;
  TiffFields out;
  const std::size_t count = u16(ifd);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (e + 12 > t.size()) break;
    const std::uint16_t tag = u16(e), type = u16(e + 2);
    const std::uint32_t n = u32(e + 4);
    if (n != 1 || (type != 3 && type != 4)) continue;  // the tags we want are one SHORT or LONG, held inline
    const std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    const int clamped = static_cast<int>(std::min<std::uint32_t>(value, INT_MAX));
    if (tag == 256) out.width = clamped;
    if (tag == 257) out.height = clamped;
    if (tag == 0x0112 && value >= 1 && value <= 8) out.orientation = clamped;
  }
  return out;
}

int exif_orientation(Bytes payload) {
  if (has(payload, 0, "Exif\0\0"sv)) payload = payload.subspan(6);
  auto fields = read_ifd0(payload);
  return fields ? fields->orientation : 1;
}

bool is_sof(std::uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

struct JpegLayout {
  ImageInfo info;
  std::size_t scan = 0;  // offset of the first SOS marker; 0 when the headers end before it
};

// Walks the header segments up to the first scan, by their lengths: APPn payloads such as EXIF thumbnails
// (complete JPEGs themselves) are skipped whole.
std::optional<JpegLayout> walk_jpeg(Bytes b) {
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

std::optional<ImageInfo> probe_png(Bytes b) {
  if (b.size() < 24 || be32(&b[8]) != 13 || !has(b, 12, "IHDR")) return std::nullopt;
  const std::uint32_t w = be32(&b[16]), h = be32(&b[20]);
  if (w > INT_MAX || h > INT_MAX) return std::nullopt;  // beyond what PNG allows
  return ImageInfo{ImageFormat::Png, static_cast<int>(w), static_cast<int>(h), 1};
}

// The PNG without its colour-profile chunks (iCCP, sRGB): OpenCV ignores them anyway, and libpng would print a
// warning straight to stderr for some common broken profiles, which no caller can silence. Empty when there are none.
std::vector<std::uint8_t> png_without_profiles(Bytes b) {
  std::vector<std::uint8_t> out;
  bool dropped = false;
  std::size_t at = 8, copied = 0;
  while (at + 12 <= b.size()) {
    const std::size_t total = std::size_t{12} + be32(&b[at]);
    if (total > b.size() - at) break;  // truncated: leave the rest to the decoder's own checks
    if (has(b, at + 4, "iCCP") || has(b, at + 4, "sRGB")) {
      if (!dropped) out.reserve(b.size());
      out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(copied), b.begin() + static_cast<std::ptrdiff_t>(at));
      copied = at + total;
      dropped = true;
    }
    if (has(b, at + 4, "IDAT")) break;  // profiles come before the image data
    at += total;
  }
  if (dropped) out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(copied), b.end());
  return out;
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

using HeifContextPtr = std::unique_ptr<heif_context, decltype(&heif_context_free)>;
using HeifHandlePtr = std::unique_ptr<heif_image_handle, decltype(&heif_image_handle_release)>;
using HeifImagePtr = std::unique_ptr<heif_image, decltype(&heif_image_release)>;

std::string heif_message(const heif_error& err) {
  return err.message ? err.message : "unknown libheif error";
}

// Parses the box structure only (no pixels). `bytes` must outlive the context.
HeifHandlePtr open_heif_primary(Bytes b, HeifContextPtr& ctx, std::string* error) {
  ctx.reset(heif_context_alloc());
  heif_error err = heif_context_read_from_memory_without_copy(ctx.get(), b.data(), b.size(), nullptr);
  heif_image_handle* handle = nullptr;
  if (err.code == heif_error_Ok) err = heif_context_get_primary_image_handle(ctx.get(), &handle);
  if (err.code != heif_error_Ok) {
    if (error) *error = heif_message(err);
    return {nullptr, heif_image_handle_release};
  }
  return {handle, heif_image_handle_release};
}

std::optional<ImageInfo> probe_heif(Bytes b) {
  HeifContextPtr ctx(nullptr, heif_context_free);
  HeifHandlePtr handle = open_heif_primary(b, ctx, nullptr);
  if (!handle) return std::nullopt;
  // libheif reports the size after the file's rotation/mirror boxes, which decoding applies: upright.
  return ImageInfo{ImageFormat::Heif, heif_image_handle_get_width(handle.get()),
                   heif_image_handle_get_height(handle.get()), 1};
}

// ---- decoding --------------------------------------------------------------------------------------------

// Refuses files cut short, which some decoders silently turn into half-grey pictures.
void check_complete(ImageFormat format, Bytes b) {
  if (format == ImageFormat::Jpeg) {
    // Entropy-coded data stuffs every 0xFF byte, so FF D9 after the first scan header can only be EOI.
    auto layout = walk_jpeg(b);
    bool found = false;
    if (layout && layout->scan > 0) {
      for (std::size_t i = b.size() - 1; i > layout->scan + 1 && !found; --i)
        found = b[i - 1] == 0xFF && b[i] == 0xD9;
    }
    if (!found) throw ImageError("truncated JPEG (no end-of-image marker)");
  } else if (format == ImageFormat::Png) {
    // Chunk by chunk, so bytes that merely look like "IEND" inside compressed data do not count.
    for (std::size_t at = 8; at + 8 <= b.size();) {
      if (has(b, at + 4, "IEND")) return;
      at += 12 + std::size_t{be32(&b[at])};
    }
    throw ImageError("truncated PNG (no IEND chunk)");
  } else if (format == ImageFormat::Webp) {
    if (std::size_t{8} + le32(&b[4]) > b.size())
      throw ImageError("truncated WebP (shorter than its RIFF header says)");
  }
}

void check_size(const ImageInfo& info, std::uint64_t max_pixels) {
  if (info.width <= 0 || info.height <= 0)
    throw ImageError("corrupt " + display_name(info.format) + " header (image size " +
                     std::to_string(info.width) + "x" + std::to_string(info.height) + ")");
  const std::uint64_t pixels =
      static_cast<std::uint64_t>(info.width) * static_cast<std::uint64_t>(info.height);
  if (pixels > max_pixels) {
    char text[160];
    std::snprintf(text, sizeof text, "image too large: %dx%d = %.1f megapixels exceeds limit of %.1f",
                  info.width, info.height, static_cast<double>(pixels) / 1e6,
                  static_cast<double>(max_pixels) / 1e6);
    throw ImageError(text);
  }
}

cv::Mat apply_orientation(const cv::Mat& m, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:  // mirrored left-right
      cv::flip(m, out, 1);
      break;
    case 3:
      cv::rotate(m, out, cv::ROTATE_180);
      break;
    case 4:  // mirrored top-bottom
      cv::flip(m, out, 0);
      break;
    case 5:  // mirrored along the main diagonal
      cv::transpose(m, out);
      break;
    case 6:
      cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:  // mirrored along the anti-diagonal
      cv::transpose(m, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      return m;
  }
  return out;
}

cv::Mat decode_heif(Bytes b) {
  HeifContextPtr ctx(nullptr, heif_context_free);
  std::string error;
  HeifHandlePtr handle = open_heif_primary(b, ctx, &error);
  if (!handle) throw ImageError("corrupt HEIF data: " + error);
  heif_image* raw = nullptr;
  // Default options apply the file's rotation and mirroring; 8-bit interleaved RGB even for 10-bit sources.
  heif_error err =
      heif_decode_image(handle.get(), &raw, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr);
  if (err.code != heif_error_Ok) throw ImageError("cannot decode HEIF: " + heif_message(err));
  HeifImagePtr image(raw, heif_image_release);
  int stride = 0;
  const std::uint8_t* plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  const int w = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int h = heif_image_get_height(image.get(), heif_channel_interleaved);
  if (!plane || w <= 0 || h <= 0 || stride < 3 * w ||
      heif_image_get_bits_per_pixel_range(image.get(), heif_channel_interleaved) != 8)
    throw ImageError("cannot decode HEIF: no 8-bit RGB plane");
  // Wraps libheif's buffer (rows `stride` apart); cvtColor copies it out before the image is released.
  const cv::Mat rgb(h, w, CV_8UC3, const_cast<std::uint8_t*>(plane), static_cast<std::size_t>(stride));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

int reduced_flag(int factor) {
  switch (factor) {
    case 2:
      return cv::IMREAD_REDUCED_COLOR_2;
    case 4:
      return cv::IMREAD_REDUCED_COLOR_4;
    case 8:
      return cv::IMREAD_REDUCED_COLOR_8;
    default:
      return cv::IMREAD_COLOR;
  }
}

// Reads up to `n` bytes into `out`; returns how many arrived.
std::size_t read_head(std::ifstream& in, std::uint8_t* out, std::size_t n) {
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
  return static_cast<std::size_t>(in.gcount());
}

std::vector<std::uint8_t> read_image_file(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found)
    throw ImageError("cannot read file: no such file or directory");
  if (ec) throw ImageError("cannot read file: " + ec.message());
  if (fs::is_directory(status)) throw ImageError("cannot read file: is a directory");
  // A FIFO or device would block or never end.
  if (!fs::is_regular_file(status)) throw ImageError("cannot read file: not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw ImageError("cannot read file: " + ec.message());
  if (size == 0) throw ImageError("empty file (0 bytes)");
  if (size > kMaxFileBytes)
    throw ImageError("file too large (" + std::to_string(size >> 20) + " MiB; the limit is " +
                     std::to_string(kMaxFileBytes >> 20) + " MiB)");

  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int code = errno;
    throw ImageError("cannot read file: " +
                     (code ? std::generic_category().message(code) : std::string("open failed")));
  }
  // Sniff before allocating and reading the rest, so a big non-image costs 32 bytes of I/O.
  std::array<std::uint8_t, kSniffBytes> head{};
  const std::size_t head_n = read_head(in, head.data(), std::min<std::size_t>(head.size(), size));
  if (sniff_format(Bytes(head.data(), head_n)) == ImageFormat::Unknown)
    throw ImageError("not an image (unrecognised content)");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::copy_n(head.begin(), head_n, bytes.begin());
  const std::size_t rest = read_head(in, bytes.data() + head_n, bytes.size() - head_n);
  if (head_n + rest != bytes.size())
    throw ImageError("cannot read file: read error (file changed while reading?)");
  return bytes;
}

}  // namespace

std::string_view format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg:
      return "jpeg";
    case ImageFormat::Png:
      return "png";
    case ImageFormat::Webp:
      return "webp";
    case ImageFormat::Bmp:
      return "bmp";
    case ImageFormat::Tiff:
      return "tiff";
    case ImageFormat::Heif:
      return "heif";
    case ImageFormat::Gif:
      return "gif";
    case ImageFormat::Pnm:
      return "pnm";
    case ImageFormat::Unknown:
      break;
  }
  return "unknown";
}

ImageFormat sniff_format(Bytes h) {
  if (has(h, 0, "\xFF\xD8\xFF")) return ImageFormat::Jpeg;
  if (has(h, 0, "\x89PNG\r\n\x1A\n")) return ImageFormat::Png;
  if (has(h, 0, "RIFF") && has(h, 8, "WEBP")) return ImageFormat::Webp;
  if (is_bmp(h)) return ImageFormat::Bmp;
  if (has(h, 0, "II*\0"sv) || has(h, 0, "MM\0*"sv)) return ImageFormat::Tiff;
  if (has(h, 0, "GIF87a") || has(h, 0, "GIF89a")) return ImageFormat::Gif;
  if (h.size() >= 3 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6' && is_space(h[2])) return ImageFormat::Pnm;
  if (is_heif(h)) return ImageFormat::Heif;
  return ImageFormat::Unknown;
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

DecodedImage decode_image(Bytes bytes, const DecodeOptions& options) {
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::Unknown) throw ImageError("not an image (unrecognised content)");
  const std::string name = display_name(format);
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw ImageError("file too large");
  const auto info = probe_image(bytes);
  if (!info) throw ImageError("corrupt " + name + " header");
  // Before any pixel buffer exists: a few bytes of header can claim gigapixels.
  check_size(*info, options.max_pixels);
  check_complete(format, bytes);

  // Exactly one party turns the picture upright: libheif applies HEIF's own transforms, OpenCV's TIFF decoder
  // the Orientation tag (even when told not to); for JPEG and WebP OpenCV is told not to, and the probed EXIF
  // tag is applied here.
  const bool orient_here = format == ImageFormat::Jpeg || format == ImageFormat::Webp;
  const bool upright_swapped = info->orientation >= 5;

  DecodedImage out;
  out.format = format;
  int factor = 1;
  try {
    if (format == ImageFormat::Heif) {
      out.bgr = decode_heif(bytes);
    } else if (format == ImageFormat::Gif) {
      out.bgr = detail::decode_gif(bytes, options.max_pixels);
    } else {
      if (format == ImageFormat::Jpeg && options.min_long_side > 0) {
        // libjpeg scales during the inverse DCT: far cheaper than decoding full size and shrinking.
        const int long_side = std::max(info->width, info->height);
        for (int f : {8, 4, 2}) {
          if (long_side / f >= options.min_long_side) {
            factor = f;
            break;
          }
        }
      }
      std::vector<std::uint8_t> cleaned;
      if (format == ImageFormat::Png) cleaned = png_without_profiles(bytes);
      const Bytes data = cleaned.empty() ? Bytes(bytes) : Bytes(cleaned);
      // imdecode only reads through this header.
      const cv::Mat buffer(1, static_cast<int>(data.size()), CV_8UC1, const_cast<std::uint8_t*>(data.data()));
      out.bgr = cv::imdecode(buffer, reduced_flag(factor) | cv::IMREAD_IGNORE_ORIENTATION);
      if (out.bgr.empty()) throw ImageError("corrupt or unsupported " + name + " data");
      if (orient_here) out.bgr = apply_orientation(out.bgr, info->orientation);
    }
  } catch (const cv::Exception& e) {
    throw ImageError("corrupt or unsupported " + name + " data (" + e.err + ")");
  } catch (const std::bad_alloc&) {
    throw ImageError("out of memory decoding " + name);
  }
  if (out.bgr.type() != CV_8UC3) throw ImageError("unexpected pixel format after decoding " + name);

  if (factor == 1) {
    // The decoded picture is the truth about the upright size.
    out.width = out.bgr.cols;
    out.height = out.bgr.rows;
  } else {
    // Reduced output is ceil(size / factor); the full size comes from the header, turned like the pixels.
    out.width = upright_swapped ? info->height : info->width;
    out.height = upright_swapped ? info->width : info->height;
    out.scale = factor;
  }
  return out;
}

DecodedImage load_image(const fs::path& path, const DecodeOptions& options) {
  const std::vector<std::uint8_t> bytes = read_image_file(path);
  return decode_image(bytes, options);
}

bool looks_like_image(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;  // opening a FIFO would block
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::array<std::uint8_t, kSniffBytes> head{};
  const std::size_t n = read_head(in, head.data(), head.size());
  return sniff_format(Bytes(head.data(), n)) != ImageFormat::Unknown;
}

}  // namespace facesearch
