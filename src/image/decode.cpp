// Decoding: whole files and buffers to upright BGR pixels, refusing truncated data and decompression bombs.
#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <fstream>
#include <new>
#include <system_error>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/codec.hpp"
#include "image/gif.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

using namespace detail;

// Nothing a camera writes is this big, but a video lying among the photos can be: never read it whole.
constexpr std::uintmax_t kMaxFileBytes = 512ull << 20;

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

// Reads up to `n` bytes into `out`; returns how many arrived. Throws ReadError when the storage fails.
std::size_t read_head(std::ifstream& in, std::uint8_t* out, std::size_t n) {
  errno = 0;
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
  if (in.bad()) throw read_error(errno);
  return static_cast<std::size_t>(in.gcount());
}

struct OpenFile {
  std::ifstream in;
  std::uintmax_t size = 0;
};

// A regular, non-empty file opened for reading; ImageError with the reason otherwise.
OpenFile open_regular_file(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found)
    throw ImageError(fs::is_symlink(fs::symlink_status(path, ec)) ? "broken symbolic link (its target does not exist)"
                                                                 : "cannot read file: no such file or directory");
  if (ec) throw ImageError("cannot read file: " + ec.message());
  if (fs::is_directory(status)) throw ImageError("cannot read file: is a directory");
  // A FIFO or device would block or never end.
  if (!fs::is_regular_file(status)) throw ImageError("cannot read file: not a regular file");
  OpenFile file;
  file.size = fs::file_size(path, ec);
  if (ec) throw ImageError("cannot read file: " + ec.message());
  if (file.size == 0) throw ImageError("empty file (0 bytes)");
  errno = 0;
  file.in.open(path, std::ios::binary);
  if (!file.in) {
    const int code = errno;
    throw ImageError("cannot read file: " +
                     (code ? std::generic_category().message(code) : std::string("open failed")));
  }
  return file;
}

std::vector<std::uint8_t> read_image_file(const fs::path& path) {
  OpenFile file = open_regular_file(path);
  const std::uintmax_t size = file.size;
  if (size > kMaxFileBytes)
    throw ImageError("file too large (" + std::to_string(size >> 20) + " MiB; the limit is " +
                     std::to_string(kMaxFileBytes >> 20) + " MiB)");
  std::ifstream& in = file.in;
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

ReadError read_error(int errno_value) {
  return ReadError("cannot read file: " +
                   (errno_value ? std::generic_category().message(errno_value) : std::string("read error")));
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
  if (format == ImageFormat::Tiff)
    if (auto problem = tiff_layout_problem(bytes)) throw ImageError(*problem);
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

std::vector<std::uint8_t> read_file_head(const fs::path& path, std::size_t n) {
  OpenFile file = open_regular_file(path);
  std::vector<std::uint8_t> head(static_cast<std::size_t>(std::min<std::uintmax_t>(n, file.size)));
  head.resize(read_head(file.in, head.data(), head.size()));
  return head;
}

}  // namespace facesearch
