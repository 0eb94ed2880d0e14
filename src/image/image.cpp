#include "image/image.hpp"

#include <libheif/heif.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace fs = std::filesystem;

namespace facesearch {

namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint64_t kMaxFileBytes = 512ull << 20;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[1] << 8 | p[0]); }
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[3]) << 24 | static_cast<std::uint32_t>(p[2]) << 16 |
         static_cast<std::uint32_t>(p[1]) << 8 | p[0];
}
bool starts(Bytes b, std::size_t at, const char* magic) {
  std::size_t n = std::strlen(magic);
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

// Orientation tag from a TIFF structure (EXIF payload or a TIFF file). 1 when absent.
int tiff_orientation(Bytes t, int* width = nullptr, int* height = nullptr) {
  if (t.size() < 8) return 1;
  bool le = t[0] == 'I';
  auto u16 = [&](std::size_t o) { return le ? le16(&t[o]) : be16(&t[o]); };
  auto u32 = [&](std::size_t o) { return le ? le32(&t[o]) : be32(&t[o]); };
  std::size_t ifd = u32(4);
  if (ifd + 2 > t.size()) return 1;
  int orientation = 1;
  std::size_t n = u16(ifd);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t e = ifd + 2 + 12 * i;
    if (e + 12 > t.size()) break;
    std::uint16_t tag = u16(e), type = u16(e + 2);
    std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);  // SHORT or LONG held inline
    if (tag == 0x0112 && value >= 1 && value <= 8) orientation = static_cast<int>(value);
    if (tag == 256 && width) *width = static_cast<int>(value);
    if (tag == 257 && height) *height = static_cast<int>(value);
  }
  return orientation;
}

std::optional<ImageInfo> probe_jpeg(Bytes b) {
  ImageInfo info{ImageFormat::Jpeg};
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) return std::nullopt;
    std::uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;
      continue;
    }
    std::size_t len = be16(&b[i + 2]);
    if (len < 2 || i + 2 + len > b.size()) return std::nullopt;
    const std::uint8_t* seg = &b[i + 4];
    if (marker == 0xE1 && len >= 8 && std::memcmp(seg, "Exif\0\0", 6) == 0)
      info.orientation = tiff_orientation(Bytes(seg + 6, len - 8));
    bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof && len >= 7) {
      info.height = be16(seg + 1);
      info.width = be16(seg + 3);
      return info;
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan data before any frame header
    i += 2 + len;
  }
  return std::nullopt;
}

std::optional<ImageInfo> probe_webp(Bytes b) {
  if (b.size() < 30) return std::nullopt;
  ImageInfo info{ImageFormat::Webp};
  const std::uint8_t* c = &b[12];
  if (starts(b, 12, "VP8 ")) {
    info.width = le16(c + 14) & 0x3FFF;
    info.height = le16(c + 16) & 0x3FFF;
  } else if (starts(b, 12, "VP8L")) {
    std::uint32_t v = le32(c + 9);
    info.width = static_cast<int>((v & 0x3FFF) + 1);
    info.height = static_cast<int>(((v >> 14) & 0x3FFF) + 1);
  } else if (starts(b, 12, "VP8X")) {
    info.width = static_cast<int>((c[12] | c[13] << 8 | c[14] << 16) + 1);
    info.height = static_cast<int>((c[15] | c[16] << 8 | c[17] << 16) + 1);
  } else {
    return std::nullopt;
  }
  return info;
}

std::optional<ImageInfo> probe_heif(Bytes b) {
  std::unique_ptr<heif_context, decltype(&heif_context_free)> ctx(heif_context_alloc(), heif_context_free);
  if (heif_context_read_from_memory_without_copy(ctx.get(), b.data(), b.size(), nullptr).code != heif_error_Ok)
    return std::nullopt;
  heif_image_handle* handle = nullptr;
  if (heif_context_get_primary_image_handle(ctx.get(), &handle).code != heif_error_Ok) return std::nullopt;
  // libheif reports the size after its transformations (rotation, mirroring): already upright.
  ImageInfo info{ImageFormat::Heif, heif_image_handle_get_width(handle), heif_image_handle_get_height(handle), 1};
  heif_image_handle_release(handle);
  return info;
}

std::optional<ImageInfo> probe_pnm(Bytes b) {
  // "P6 <w> <h> ..." with comments allowed.
  std::size_t i = 2;
  int values[2] = {0, 0};
  for (int& v : values) {
    while (i < b.size() && (std::isspace(b[i]) || b[i] == '#')) {
      if (b[i] == '#')
        while (i < b.size() && b[i] != '\n') ++i;
      else
        ++i;
    }
    if (i >= b.size() || !std::isdigit(b[i])) return std::nullopt;
    while (i < b.size() && std::isdigit(b[i]) && v < 100'000'000) v = v * 10 + (b[i++] - '0');
  }
  return ImageInfo{ImageFormat::Pnm, values[0], values[1], 1};
}

// Truncated files decode to half-grey pictures in some codecs: refuse them up front.
void check_complete(ImageFormat f, Bytes b) {
  if (f == ImageFormat::Jpeg) {
    // Entropy-coded data byte-stuffs 0xFF, so FF D9 after the first scan header can only be the end marker.
    // Reach that scan by segment lengths: APPn payloads (EXIF thumbnails) hold their own FF DA ... FF D9.
    static constexpr std::array<std::uint8_t, 2> eoi = {0xFF, 0xD9};
    std::size_t i = 2;
    while (i + 4 <= b.size() && b[i] == 0xFF && b[i + 1] != 0xDA) {
      const std::uint8_t marker = b[i + 1];
      if (marker == 0xFF) ++i;  // fill byte
      else if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) i += 2;  // no length
      else i += 2 + be16(&b[i + 2]);
    }
    const bool at_sos = i + 4 <= b.size() && b[i] == 0xFF && b[i + 1] == 0xDA;
    if (!at_sos || std::search(b.begin() + static_cast<std::ptrdiff_t>(i), b.end(), eoi.begin(), eoi.end()) == b.end())
      throw ImageError("truncated JPEG (no end-of-image marker)");
  } else if (f == ImageFormat::Png) {
    // IEND's type and its fixed CRC together: 8 bytes that do not turn up by chance inside compressed data.
    static constexpr std::array<std::uint8_t, 8> iend = {'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    if (std::search(b.begin(), b.end(), iend.begin(), iend.end()) == b.end())
      throw ImageError("truncated PNG (no IEND chunk)");
  }
}

cv::Mat apply_orientation(cv::Mat m, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2: cv::flip(m, out, 1); break;
    case 3: cv::rotate(m, out, cv::ROTATE_180); break;
    case 4: cv::flip(m, out, 0); break;
    case 5: cv::transpose(m, out); break;
    case 6: cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE); break;
    case 7: cv::transpose(m, out); cv::flip(out, out, -1); break;
    case 8: cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: return m;
  }
  return out;
}

cv::Mat decode_heif(Bytes b) {
  std::unique_ptr<heif_context, decltype(&heif_context_free)> ctx(heif_context_alloc(), heif_context_free);
  heif_error err = heif_context_read_from_memory_without_copy(ctx.get(), b.data(), b.size(), nullptr);
  if (err.code != heif_error_Ok) throw ImageError(std::string("corrupt HEIF data: ") + err.message);
  heif_image_handle* handle = nullptr;
  err = heif_context_get_primary_image_handle(ctx.get(), &handle);
  if (err.code != heif_error_Ok) throw ImageError(std::string("corrupt HEIF data: ") + err.message);
  std::unique_ptr<heif_image_handle, decltype(&heif_image_handle_release)> h(handle, heif_image_handle_release);
  heif_image* img = nullptr;
  err = heif_decode_image(handle, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr);
  if (err.code != heif_error_Ok) throw ImageError(std::string("cannot decode HEIF: ") + err.message);
  std::unique_ptr<heif_image, decltype(&heif_image_release)> im(img, heif_image_release);
  int stride = 0;
  const std::uint8_t* data = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
  int w = heif_image_get_width(img, heif_channel_interleaved), hgt = heif_image_get_height(img, heif_channel_interleaved);
  if (!data || w <= 0 || hgt <= 0) throw ImageError("HEIF image has no RGB plane");
  cv::Mat rgb(hgt, w, CV_8UC3, const_cast<std::uint8_t*>(data), static_cast<std::size_t>(stride)), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace

std::string_view format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg: return "jpeg";
    case ImageFormat::Png: return "png";
    case ImageFormat::Webp: return "webp";
    case ImageFormat::Bmp: return "bmp";
    case ImageFormat::Tiff: return "tiff";
    case ImageFormat::Heif: return "heif";
    case ImageFormat::Gif: return "gif";
    case ImageFormat::Pnm: return "pnm";
    case ImageFormat::Unknown: break;
  }
  return "unknown";
}

ImageFormat sniff_format(Bytes h) {
  if (h.size() >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) return ImageFormat::Jpeg;
  if (starts(h, 0, "\x89PNG\r\n\x1a\n")) return ImageFormat::Png;
  if (starts(h, 0, "RIFF") && starts(h, 8, "WEBP")) return ImageFormat::Webp;
  if (starts(h, 0, "BM") && h.size() >= 26) return ImageFormat::Bmp;
  if (h.size() >= 4 && ((h[0] == 'I' && h[1] == 'I' && h[2] == 42 && h[3] == 0) ||
                        (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && h[3] == 42)))
    return ImageFormat::Tiff;
  if (starts(h, 0, "GIF87a") || starts(h, 0, "GIF89a")) return ImageFormat::Gif;
  if (h.size() >= 3 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6' && std::isspace(h[2])) return ImageFormat::Pnm;
  if (starts(h, 4, "ftyp") && h.size() >= 12) {
    for (const char* brand : {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif"})
      if (starts(h, 8, brand)) return ImageFormat::Heif;
  }
  return ImageFormat::Unknown;
}

std::optional<ImageInfo> probe_image(Bytes b) {
  switch (sniff_format(b)) {
    case ImageFormat::Jpeg: return probe_jpeg(b);
    case ImageFormat::Png:
      if (b.size() < 24 || !starts(b, 12, "IHDR")) return std::nullopt;
      return ImageInfo{ImageFormat::Png, static_cast<int>(be32(&b[16])), static_cast<int>(be32(&b[20])), 1};
    case ImageFormat::Webp: return probe_webp(b);
    case ImageFormat::Bmp: {
      auto w = static_cast<std::int32_t>(le32(&b[18])), h = static_cast<std::int32_t>(le32(&b[22]));
      return ImageInfo{ImageFormat::Bmp, w, h < 0 ? -h : h, 1};
    }
    case ImageFormat::Tiff: {
      ImageInfo info{ImageFormat::Tiff};
      info.orientation = tiff_orientation(b, &info.width, &info.height);
      return info;
    }
    case ImageFormat::Gif:
      if (b.size() < 10) return std::nullopt;
      return ImageInfo{ImageFormat::Gif, le16(&b[6]), le16(&b[8]), 1};
    case ImageFormat::Pnm: return probe_pnm(b);
    case ImageFormat::Heif: return probe_heif(b);
    case ImageFormat::Unknown: break;
  }
  return std::nullopt;
}

DecodedImage decode_image(Bytes bytes, const DecodeOptions& options) {
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::Unknown) throw ImageError("not an image (unrecognised content)");
  const auto name = std::string(format_name(format));
  auto info = probe_image(bytes);
  if (!info) throw ImageError("corrupt " + name + " header");
  if (info->width <= 0 || info->height <= 0) throw ImageError("bad " + name + " header (zero size)");
  const std::uint64_t pixels = static_cast<std::uint64_t>(info->width) * static_cast<std::uint64_t>(info->height);
  if (pixels > options.max_pixels)
    throw ImageError("image too large: " + std::to_string(info->width) + "x" + std::to_string(info->height) + " = " +
                     std::to_string(pixels / 1'000'000) + " megapixels exceeds the limit of " +
                     std::to_string(options.max_pixels / 1'000'000));
  check_complete(format, bytes);

  DecodedImage out;
  out.format = format;
  const bool swap = info->orientation >= 5;
  out.width = swap ? info->height : info->width;
  out.height = swap ? info->width : info->height;
  try {
    if (format == ImageFormat::Heif) {
      out.bgr = decode_heif(bytes);
    } else {
      int flags = cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION;  // orientation applied below, exactly once
      if (format == ImageFormat::Jpeg && options.min_long_side > 0) {
        const int long_side = std::max(info->width, info->height);
        for (int f : {8, 4, 2}) {
          if (long_side / f >= options.min_long_side) {
            flags = (f == 8 ? cv::IMREAD_REDUCED_COLOR_8 : f == 4 ? cv::IMREAD_REDUCED_COLOR_4 : cv::IMREAD_REDUCED_COLOR_2) |
                    cv::IMREAD_IGNORE_ORIENTATION;
            out.scale = f;
            break;
          }
        }
      }
      if (format == ImageFormat::Gif) throw ImageError("GIF is not supported (no GIF decoder in this OpenCV build)");
      cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
      out.bgr = cv::imdecode(buf, flags);
      if (out.bgr.empty()) throw ImageError("corrupt or unsupported " + name + " data");
      // OpenCV's TIFF decoder honours the Orientation tag itself, even with IMREAD_IGNORE_ORIENTATION.
      if (format != ImageFormat::Tiff) out.bgr = apply_orientation(out.bgr, info->orientation);
    }
  } catch (const cv::Exception& e) {
    throw ImageError("cannot decode " + name + ": " + e.err);
  }
  if (out.bgr.depth() != CV_8U || out.bgr.channels() != 3) throw ImageError("unexpected pixel format after decoding");
  if (format == ImageFormat::Heif) {
    out.width = out.bgr.cols;
    out.height = out.bgr.rows;
  } else if (out.scale == 1.0) {
    out.width = out.bgr.cols;  // trust the decoder over the header for the size actually delivered
    out.height = out.bgr.rows;
  } else {
    out.scale = static_cast<double>(out.width) / out.bgr.cols;
  }
  return out;
}

static std::vector<std::uint8_t> read_all(const fs::path& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw ImageError("cannot read file: no such file");
  if (fs::is_directory(status)) throw ImageError("cannot read file: is a directory");
  auto size = fs::file_size(path, ec);
  if (ec) throw ImageError("cannot read file: " + ec.message());
  if (size == 0) throw ImageError("empty file (0 bytes)");
  if (size > kMaxFileBytes) throw ImageError("file too large (" + std::to_string(size >> 20) + " MiB)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ImageError("cannot read file: permission denied or unreadable");
  std::vector<std::uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in.gcount()) != size) throw ImageError("cannot read file: short read");
  return bytes;
}

DecodedImage load_image(const fs::path& path, const DecodeOptions& options) {
  // Sniff first so a big non-image (a video beside the photos) is not read whole.
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) > (1u << 20) && !looks_like_image(path))
    throw ImageError("not an image (unrecognised content)");
  auto bytes = read_all(path);
  return decode_image(bytes, options);
}

bool looks_like_image(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<std::uint8_t, 32> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  return sniff_format(Bytes(head.data(), static_cast<std::size_t>(in.gcount()))) != ImageFormat::Unknown;
}

}  // namespace facesearch
