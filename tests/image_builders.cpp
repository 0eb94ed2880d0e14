#include "image_builders.hpp"

// GCC 12 reports false -Wstringop-overflow/-overread and -Warray-bounds inside std::vector::insert once these byte builders
// are inlined into each other (GCC bugs 106199, 107852); the buffers grow as they should.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif

#include <libheif/heif.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "image/image.hpp"
#include "test_support.hpp"


namespace facesearch::imagetest {

fs::path photo(std::string_view relative) { return fstest::shared_data() / relative; }

// Reference pixels straight from OpenCV, so expectations do not come from the code under test.
cv::Mat reference(const fs::path& path) {
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (m.empty()) throw std::runtime_error("OpenCV cannot read " + path.string());
  return m;
}

// A real photo at a size that keeps the tests quick; not square, so a transpose cannot go unnoticed.
const cv::Mat& portrait() {
  static const cv::Mat m = [] {
    cv::Mat small;
    cv::resize(reference(photo(kCameraJpeg)), small, cv::Size(360, 486), 0, 0, cv::INTER_AREA);
    return small;
  }();
  return m;
}

// Mean absolute difference per channel value; enormous when the shapes differ so that can never pass.
double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

Bytes encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params) {
  Bytes out;
  if (!cv::imencode(ext, m, out, params)) throw std::runtime_error("OpenCV cannot encode " + ext);
  return out;
}

// The message of the ImageError `f` throws, or a description of what happened instead.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ImageError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not an ImageError: ") + e.what() + ">";
  }
  return "<nothing thrown>";
}

void put_be16(Bytes& b, unsigned v) { b.insert(b.end(), {std::uint8_t(v >> 8), std::uint8_t(v)}); }
void put_be32(Bytes& b, std::uint32_t v) {
  b.insert(b.end(), {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
}
void put_le16(Bytes& b, unsigned v) { b.insert(b.end(), {std::uint8_t(v), std::uint8_t(v >> 8)}); }
void put_le24(Bytes& b, std::uint32_t v) {
  b.insert(b.end(), {std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16)});
}
void put_le32(Bytes& b, std::uint32_t v) {
  put_le16(b, v & 0xFFFF);
  put_le16(b, v >> 16);
}
void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

// ---- builders for files OpenCV cannot write --------------------------------------------------------------

// The pixels a camera would store for `upright` with EXIF `orientation`, straight from the tag's definition:
// where stored row 0 and stored column 0 lie in the upright picture. Deliberately not built from cv::rotate.
cv::Mat stored_for(const cv::Mat& upright, int orientation) {
  struct Layout {
    bool rows_are_columns;  // stored row 0 lies along the upright picture's left or right edge
    bool from_right;        // ... counted from the right edge
    bool from_bottom;       // ... counted from the bottom edge
  };
  static constexpr Layout kLayouts[9] = {{},
                                         {false, false, false},  // 1: row 0 top, column 0 left
                                         {false, true, false},   // 2: row 0 top, column 0 right
                                         {false, true, true},    // 3: row 0 bottom, column 0 right
                                         {false, false, true},   // 4: row 0 bottom, column 0 left
                                         {true, false, false},   // 5: row 0 left, column 0 top
                                         {true, true, false},    // 6: row 0 right, column 0 top
                                         {true, true, true},     // 7: row 0 right, column 0 bottom
                                         {true, false, true}};   // 8: row 0 left, column 0 bottom
  const Layout layout = kLayouts[orientation];
  const int W = upright.cols, H = upright.rows;
  cv::Mat stored(layout.rows_are_columns ? W : H, layout.rows_are_columns ? H : W, upright.type());
  for (int r = 0; r < stored.rows; ++r) {
    for (int c = 0; c < stored.cols; ++c) {
      int x = layout.rows_are_columns ? r : c, y = layout.rows_are_columns ? c : r;
      if (layout.from_right) x = W - 1 - x;
      if (layout.from_bottom) y = H - 1 - y;
      stored.at<cv::Vec3b>(r, c) = upright.at<cv::Vec3b>(y, x);
    }
  }
  return stored;
}

// A TIFF structure holding one IFD with a single Orientation entry (tag 0x0112, SHORT), in either byte order.
Bytes exif_tiff(int orientation, bool big_endian) {
  Bytes t;
  auto u16 = [&](unsigned v) { big_endian ? put_be16(t, v) : put_le16(t, v); };
  auto u32 = [&](std::uint32_t v) { big_endian ? put_be32(t, v) : put_le32(t, v); };
  append(t, big_endian ? "MM" : "II");
  u16(42);
  u32(8);  // IFD0 right after the header
  u16(1);  // one entry
  u16(0x0112);
  u16(3);  // SHORT
  u32(1);
  u16(static_cast<unsigned>(orientation));  // the value sits left-justified in the 4-byte field
  u16(0);
  u32(0);  // no next IFD
  return t;
}

// A JPEG of `stored` carrying an EXIF APP1 segment (built here byte by byte) right after SOI.
Bytes jpeg_with_orientation(const cv::Mat& stored, int orientation, bool big_endian) {
  Bytes jpeg = encode(".jpg", stored, {cv::IMWRITE_JPEG_QUALITY, 95});
  Bytes payload;
  append(payload, std::string_view("Exif\0\0", 6));
  const Bytes tiff = exif_tiff(orientation, big_endian);
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  Bytes app1 = {0xFF, 0xE1};
  put_be16(app1, static_cast<unsigned>(payload.size() + 2));  // the length counts itself
  app1.insert(app1.end(), payload.begin(), payload.end());
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  return jpeg;
}

// An uncompressed little-endian RGB TIFF of `stored` with an Orientation tag.
Bytes tiff_with_orientation(const cv::Mat& stored, int orientation) {
  struct Entry {
    unsigned tag, type;
    std::uint32_t count, value;
  };
  const std::uint32_t entries = 11, ifd_size = 2 + 12 * entries + 4;
  const std::uint32_t bps_at = 8 + ifd_size, pixels_at = bps_at + 6;
  const auto w = static_cast<std::uint32_t>(stored.cols), h = static_cast<std::uint32_t>(stored.rows);
  const Entry table[entries] = {{256, 4, 1, w},         {257, 4, 1, h},
                                {258, 3, 3, bps_at},                     // BitsPerSample 8,8,8 out of line
                                {259, 3, 1, 1},         {262, 3, 1, 2},  // no compression, RGB
                                {273, 4, 1, pixels_at}, {274, 3, 1, static_cast<std::uint32_t>(orientation)},
                                {277, 3, 1, 3},         {278, 4, 1, h},
                                {279, 4, 1, w * h * 3}, {284, 3, 1, 1}};  // chunky
  Bytes t = {'I', 'I', 42, 0};
  put_le32(t, 8);
  put_le16(t, entries);
  for (const Entry& e : table) {
    put_le16(t, e.tag);
    put_le16(t, e.type);
    put_le32(t, e.count);
    if (e.type == 3 && e.count == 1) {
      put_le16(t, e.value);
      put_le16(t, 0);
    } else {
      put_le32(t, e.value);
    }
  }
  put_le32(t, 0);
  for (int i = 0; i < 3; ++i) put_le16(t, 8);
  for (int y = 0; y < stored.rows; ++y) {
    for (int x = 0; x < stored.cols; ++x) {
      const cv::Vec3b p = stored.at<cv::Vec3b>(y, x);
      t.insert(t.end(), {p[2], p[1], p[0]});
    }
  }
  return t;
}

// An extended WebP (VP8X) of `stored`, lossless, with an EXIF chunk holding `orientation`.
Bytes webp_with_orientation(const cv::Mat& stored, int orientation) {
  const Bytes simple = encode(".webp", stored, {cv::IMWRITE_WEBP_QUALITY, 101});  // above 100: lossless
  Bytes body;
  append(body, "WEBP");
  append(body, "VP8X");
  put_le32(body, 10);
  body.insert(body.end(), {0x08, 0, 0, 0});  // flags: EXIF present
  put_le24(body, static_cast<std::uint32_t>(stored.cols - 1));
  put_le24(body, static_cast<std::uint32_t>(stored.rows - 1));
  body.insert(body.end(), simple.begin() + 12, simple.end());  // the VP8L chunk as OpenCV wrote it
  const Bytes tiff = exif_tiff(orientation, true);
  append(body, "EXIF");
  put_le32(body, static_cast<std::uint32_t>(tiff.size()));
  body.insert(body.end(), tiff.begin(), tiff.end());
  if (tiff.size() % 2) body.push_back(0);
  Bytes riff;
  append(riff, "RIFF");
  put_le32(riff, static_cast<std::uint32_t>(body.size()));
  riff.insert(riff.end(), body.begin(), body.end());
  return riff;
}

// Encodes `bgr` with libheif's encoder for `codec` at `bits` per sample, plus a rotation/mirror transform
// unless `orientation` is 1. Returns "" on success, else what went wrong.
std::string write_heif(const cv::Mat& bgr, const fs::path& path, heif_compression_format codec, int bits,
                       int orientation) {
  std::unique_ptr<heif_context, decltype(&heif_context_free)> ctx(heif_context_alloc(), heif_context_free);
  heif_encoder* raw_encoder = nullptr;
  heif_error err = heif_context_get_encoder_for_format(ctx.get(), codec, &raw_encoder);
  if (err.code != heif_error_Ok)
    return std::string("this libheif has no ") + (codec == heif_compression_HEVC ? "HEVC" : "AV1") +
           " encoder (" + err.message + "), so no test file can be made";
  std::unique_ptr<heif_encoder, decltype(&heif_encoder_release)> encoder(raw_encoder, heif_encoder_release);
  heif_encoder_set_lossy_quality(encoder.get(), 92);

  heif_image* raw_image = nullptr;
  err = heif_image_create(bgr.cols, bgr.rows, heif_colorspace_RGB,
                          bits == 8 ? heif_chroma_interleaved_RGB : heif_chroma_interleaved_RRGGBB_LE,
                          &raw_image);
  if (err.code != heif_error_Ok) return std::string("heif_image_create: ") + err.message;
  std::unique_ptr<heif_image, decltype(&heif_image_release)> image(raw_image, heif_image_release);
  err = heif_image_add_plane(image.get(), heif_channel_interleaved, bgr.cols, bgr.rows, bits);
  if (err.code != heif_error_Ok) return std::string("heif_image_add_plane: ") + err.message;
  int stride = 0;
  std::uint8_t* plane = heif_image_get_plane(image.get(), heif_channel_interleaved, &stride);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  if (bits == 8) {
    rgb.copyTo(cv::Mat(bgr.rows, bgr.cols, CV_8UC3, plane, static_cast<std::size_t>(stride)));
  } else {
    // Little-endian 16-bit words holding `bits` significant bits.
    rgb.convertTo(cv::Mat(bgr.rows, bgr.cols, CV_16UC3, plane, static_cast<std::size_t>(stride)), CV_16U,
                  ((1 << bits) - 1) / 255.0);
  }

  std::unique_ptr<heif_encoding_options, decltype(&heif_encoding_options_free)> options(
      heif_encoding_options_alloc(), heif_encoding_options_free);
  options->image_orientation = static_cast<heif_orientation>(orientation);  // written as irot/imir boxes
  err = heif_context_encode_image(ctx.get(), image.get(), encoder.get(), options.get(), nullptr);
  if (err.code != heif_error_Ok) return std::string("heif_context_encode_image: ") + err.message;
  err = heif_context_write_to_file(ctx.get(), path.string().c_str());
  if (err.code != heif_error_Ok) return std::string("heif_context_write_to_file: ") + err.message;
  return "";
}

// 256 colours: 3 bits red, 3 green, 2 blue.
cv::Vec3b palette_bgr(int i) {
  return {static_cast<std::uint8_t>((i & 3) * 255 / 3), static_cast<std::uint8_t>((i >> 2 & 7) * 255 / 7),
          static_cast<std::uint8_t>((i >> 5 & 7) * 255 / 7)};
}
cv::Mat palette_indices(const cv::Mat& bgr) {
  cv::Mat idx(bgr.size(), CV_8UC1);
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      idx.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>((p[2] >> 5) << 5 | (p[1] >> 5) << 2 | p[0] >> 6);
    }
  }
  return idx;
}

// A GIF89a holding `indices` over a palette of 2^palette_bits colours from palette_bgr(); our own LZW
// encoder, which lets the code width grow to 12 bits and clears the table when it fills, so the decoder's
// whole range is used.
Bytes encode_gif(const cv::Mat& indices, int palette_bits, bool interlaced, int transparent) {
  Bytes g;
  append(g, "GIF89a");
  put_le16(g, static_cast<unsigned>(indices.cols));
  put_le16(g, static_cast<unsigned>(indices.rows));
  g.insert(g.end(), {static_cast<std::uint8_t>(0x80 | (palette_bits - 1)), 0, 0});
  for (int i = 0; i < 1 << palette_bits; ++i) {
    const cv::Vec3b c = palette_bgr(i);
    g.insert(g.end(), {c[2], c[1], c[0]});
  }
  if (transparent >= 0)
    g.insert(g.end(), {0x21, 0xF9, 4, 0x01, 0, 0, static_cast<std::uint8_t>(transparent), 0});
  g.push_back(0x2C);
  put_le16(g, 0);
  put_le16(g, 0);
  put_le16(g, static_cast<unsigned>(indices.cols));
  put_le16(g, static_cast<unsigned>(indices.rows));
  g.push_back(interlaced ? 0x40 : 0);

  std::vector<int> rows;
  if (interlaced) {
    for (auto [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}})
      for (int y = start; y < indices.rows; y += step) rows.push_back(y);
  } else {
    for (int y = 0; y < indices.rows; ++y) rows.push_back(y);
  }
  const int min_size = std::max(2, palette_bits), clear = 1 << min_size;
  Bytes codes;
  std::uint32_t acc = 0;
  int nbits = 0;
  // The decoder adds a table entry one code later than the encoder; mirror its code width exactly.
  int width = min_size + 1, decoder_next = clear + 2;
  bool first_after_clear = true;
  auto emit = [&](int code) {
    acc |= static_cast<std::uint32_t>(code) << nbits;
    nbits += width;
    while (nbits >= 8) {
      codes.push_back(static_cast<std::uint8_t>(acc));
      acc >>= 8;
      nbits -= 8;
    }
    if (code == clear) {
      width = min_size + 1;
      decoder_next = clear + 2;
      first_after_clear = true;
    } else if (first_after_clear) {
      first_after_clear = false;
    } else if (decoder_next < 4096) {
      if (++decoder_next == 1 << width && width < 12) ++width;
    }
  };
  std::unordered_map<std::uint32_t, int> table;
  int next = clear + 2, prefix = -1;
  emit(clear);
  for (int y : rows) {
    for (int x = 0; x < indices.cols; ++x) {
      const int k = indices.at<std::uint8_t>(y, x);
      if (prefix < 0) {
        prefix = k;
        continue;
      }
      const std::uint32_t key = static_cast<std::uint32_t>(prefix) << 8 | static_cast<std::uint32_t>(k);
      if (auto it = table.find(key); it != table.end()) {
        prefix = it->second;
        continue;
      }
      emit(prefix);
      if (next < 4096) {
        table[key] = next++;
      } else {
        emit(clear);
        table.clear();
        next = clear + 2;
      }
      prefix = k;
    }
  }
  emit(prefix);
  emit(clear + 1);
  if (nbits > 0) codes.push_back(static_cast<std::uint8_t>(acc));

  g.push_back(static_cast<std::uint8_t>(min_size));
  for (std::size_t at = 0; at < codes.size(); at += 255) {
    const std::size_t n = std::min<std::size_t>(255, codes.size() - at);
    g.push_back(static_cast<std::uint8_t>(n));
    g.insert(g.end(), codes.begin() + static_cast<long>(at), codes.begin() + static_cast<long>(at + n));
  }
  g.push_back(0);
  g.push_back(0x3B);
  return g;
}

std::uint32_t crc32(const Bytes& data, std::size_t from) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < data.size(); ++i) {
    c ^= data[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// PNG signature and an IHDR (valid CRC) claiming width x height, then `tail`: a decompression bomb's opening.
Bytes png_claiming(std::uint32_t width, std::uint32_t height, const Bytes& tail) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  put_be32(png, 13);
  const std::size_t type_at = png.size();
  append(png, "IHDR");
  put_be32(png, width);
  put_be32(png, height);
  png.insert(png.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, adaptive filtering, not interlaced
  put_be32(png, crc32(png, type_at));
  png.insert(png.end(), tail.begin(), tail.end());
  return png;
}

// `png` with a tEXt chunk (keyword "Comment") inserted after IHDR.
Bytes png_with_text(const Bytes& png, std::string_view text) {
  Bytes chunk;
  put_be32(chunk, static_cast<std::uint32_t>(8 + text.size()));
  append(chunk, "tEXt");
  append(chunk, std::string_view("Comment\0", 8));
  append(chunk, text);
  put_be32(chunk, crc32(chunk, 4));
  Bytes out = png;
  out.insert(out.begin() + 33, chunk.begin(), chunk.end());  // after the signature and IHDR
  return out;
}

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& v : b) v = static_cast<std::uint8_t>(rng());
  return b;
}

}  // namespace facesearch::imagetest
