// Image layer on real photos: content sniffing, header probes, EXIF orientation, reduced decoding, every
// format (HEIF through libheif, GIF through our own decoder) and the refusal of broken, hostile or non-image
// inputs.
#include <gtest/gtest.h>
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
#include "media/frame_source.hpp"
#include "test_support.hpp"

namespace facesearch {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kCameraJpeg = "deepface_testset/id01_Angelina_Jolie/img1.jpg";  // EXIF + thumbnail
constexpr std::string_view kProgressiveJpeg = "deepface_testset/id13/img41.jpg";
constexpr std::string_view kWebpNamedJpg = "deepface_testset/id03/img47.jpg";
constexpr std::string_view kGreyPng = "faceapi_bbt/identities/amy/amy1.png";
constexpr std::string_view kRgbaPng = "face_recognition_examples/extra/unlabeled/32bit.png";

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

Bytes encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
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
Bytes jpeg_with_orientation(const cv::Mat& stored, int orientation, bool big_endian = false) {
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
std::string write_heif(const cv::Mat& bgr, const fs::path& path, heif_compression_format codec, int bits = 8,
                       int orientation = 1) {
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
Bytes encode_gif(const cv::Mat& indices, int palette_bits, bool interlaced, int transparent = -1) {
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

// ---- sniffing and probing --------------------------------------------------------------------------------

TEST(ImageSniff, WebpNamedJpgIsRecognisedByContent) {
  const fs::path path = photo(kWebpNamedJpg);
  const Bytes bytes = fstest::read_file(path);
  EXPECT_EQ(sniff_format(bytes), ImageFormat::Webp);
  EXPECT_EQ(open_frame_source(path)->kind(), MediaKind::Photo);
  const auto info = probe_image(bytes);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->format, ImageFormat::Webp);

  const DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Webp);
  EXPECT_EQ(img.width, info->width);
  EXPECT_EQ(img.height, info->height);
  EXPECT_EQ(img.bgr.size(), cv::Size(info->width, info->height));
  EXPECT_LT(mean_abs_diff(img.bgr, reference(path)), 0.5);
}

TEST(ImageSniff, RealJpegAndPngProbeMatchesDecode) {
  struct Case {
    std::string_view file;
    ImageFormat format;
  };
  for (const Case& c : {Case{kCameraJpeg, ImageFormat::Jpeg}, Case{kProgressiveJpeg, ImageFormat::Jpeg},
                        Case{kGreyPng, ImageFormat::Png}, Case{kRgbaPng, ImageFormat::Png}}) {
    SCOPED_TRACE(c.file);
    const fs::path path = photo(c.file);
    const Bytes bytes = fstest::read_file(path);
    EXPECT_EQ(sniff_format(bytes), c.format);
    EXPECT_EQ(open_frame_source(path)->kind(), MediaKind::Photo);
    const auto info = probe_image(bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->format, c.format);
    EXPECT_EQ(info->orientation, 1);

    const DecodedImage img = load_image(path);
    EXPECT_EQ(img.format, c.format);
    ASSERT_EQ(img.bgr.type(), CV_8UC3);  // grey and RGBA alike come out as 3-channel BGR
    EXPECT_EQ(img.bgr.size(), cv::Size(info->width, info->height));
    EXPECT_EQ(img.width, info->width);
    EXPECT_EQ(img.height, info->height);
    EXPECT_EQ(img.scale, 1.0);
    EXPECT_LT(mean_abs_diff(img.bgr, reference(path)), 0.5);
  }
}

TEST(ImageSniff, MagicNumbers) {
  auto sniff = [](std::string_view s) {
    return sniff_format(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  using namespace std::string_view_literals;
  EXPECT_EQ(sniff("\xFF\xD8\xFF\xE0"sv), ImageFormat::Jpeg);
  EXPECT_EQ(sniff("\x89PNG\r\n\x1A\n"sv), ImageFormat::Png);
  EXPECT_EQ(sniff("RIFF\0\0\0\0WEBPVP8 "sv), ImageFormat::Webp);
  EXPECT_EQ(sniff("RIFF\0\0\0\0WAVEfmt "sv), ImageFormat::Unknown);  // RIFF alone is not enough
  EXPECT_EQ(sniff("BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0"sv), ImageFormat::Bmp);
  EXPECT_EQ(sniff("BMW is a car, not a bitmap"sv), ImageFormat::Unknown);
  EXPECT_EQ(sniff("II*\0"sv), ImageFormat::Tiff);
  EXPECT_EQ(sniff("MM\0*"sv), ImageFormat::Tiff);
  EXPECT_EQ(sniff("GIF89a"sv), ImageFormat::Gif);
  EXPECT_EQ(sniff("GIF87a"sv), ImageFormat::Gif);
  EXPECT_EQ(sniff("P6\n"sv), ImageFormat::Pnm);
  EXPECT_EQ(sniff("P1 "sv), ImageFormat::Pnm);
  EXPECT_EQ(sniff("Plain text"sv), ImageFormat::Unknown);
  for (std::string_view brand : {"heic", "heix", "hevc", "hevx", "mif1", "msf1", "heim", "heis", "avif"}) {
    const std::string box =
        std::string("\0\0\0\x18"sv) + "ftyp" + std::string(brand) + std::string("\0\0\0\0"sv);
    EXPECT_EQ(sniff(box), ImageFormat::Heif) << brand;
  }
  EXPECT_EQ(sniff("\0\0\0\x18"
                  "ftypavis\0\0\0\0avifmif1"sv),
            ImageFormat::Heif);  // by compatible brand
  EXPECT_EQ(sniff("\0\0\0\x18"
                  "ftypisom\0\0\0\0isommp41"sv),
            ImageFormat::Unknown);  // an MP4 video
  EXPECT_EQ(sniff({}), ImageFormat::Unknown);

  EXPECT_EQ(format_name(ImageFormat::Jpeg), "jpeg");
  EXPECT_EQ(format_name(ImageFormat::Heif), "heif");
  EXPECT_EQ(format_name(ImageFormat::Pnm), "pnm");
  EXPECT_EQ(format_name(ImageFormat::Unknown), "unknown");
}

// Every JPEG and PNG of the shared data: the header probe agrees with what the decoder produces.
TEST(ImageSniff, ProbeAgreesWithDecodeAcrossSharedPhotos) {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fstest::shared_data())) {
    const std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png")) continue;
    SCOPED_TRACE(entry.path().string());
    const Bytes bytes = fstest::read_file(entry.path());
    const auto info = probe_image(bytes);
    ASSERT_TRUE(info);
    const bool swap = info->orientation >= 5;
    const DecodedImage img = decode_image(bytes);
    EXPECT_EQ(img.width, swap ? info->height : info->width);
    EXPECT_EQ(img.height, swap ? info->width : info->height);
    EXPECT_EQ(img.bgr.size(), cv::Size(img.width, img.height));
    ++checked;
  }
  EXPECT_GT(checked, 7000);
}

// ---- formats ---------------------------------------------------------------------------------------------

TEST(ImageDecode, SixteenBitPngBecomesEightBit) {
  const cv::Mat& original = portrait();
  cv::Mat wide;
  original.convertTo(wide, CV_16UC3, 257.0);  // 0..255 -> 0..65535
  const fs::path path = fstest::scratch_dir("image_png16") / "wide.png";
  ASSERT_TRUE(cv::imwrite(path.string(), wide));
  ASSERT_EQ(cv::imread(path.string(), cv::IMREAD_UNCHANGED).depth(), CV_16U);  // really 16 bits per sample

  const DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Png);
  ASSERT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_LT(mean_abs_diff(img.bgr, original), 1.0);
}

TEST(ImageDecode, FormatsEncodedFromPhoto) {
  struct Case {
    std::string ext;
    ImageFormat format;
    double tolerance;
  };
  for (const Case& c : {Case{".webp", ImageFormat::Webp, 6.0}, Case{".bmp", ImageFormat::Bmp, 0.0},
                        Case{".tiff", ImageFormat::Tiff, 0.0}, Case{".ppm", ImageFormat::Pnm, 0.0}}) {
    SCOPED_TRACE(c.ext);
    const Bytes bytes = encode(c.ext, portrait());
    EXPECT_EQ(sniff_format(bytes), c.format);
    const auto info = probe_image(bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->width, portrait().cols);
    EXPECT_EQ(info->height, portrait().rows);
    const DecodedImage img = decode_image(bytes);
    EXPECT_EQ(img.format, c.format);
    EXPECT_EQ(img.width, portrait().cols);
    EXPECT_EQ(img.height, portrait().rows);
    EXPECT_LE(mean_abs_diff(img.bgr, portrait()), c.tolerance);
  }
}

TEST(ImageDecode, TopDownBmpHasPositiveHeight) {
  Bytes bmp = encode(".bmp", portrait());
  // Negate the height and reverse the rows: the same picture stored top-down.
  const int h = portrait().rows, stride = (portrait().cols * 3 + 3) / 4 * 4;
  const std::uint32_t neg = static_cast<std::uint32_t>(-h), offset = bmp[10] | bmp[11] << 8;
  for (int i = 0; i < 4; ++i) bmp[22 + i] = static_cast<std::uint8_t>(neg >> (8 * i));
  for (int y = 0; y < h / 2; ++y)
    std::swap_ranges(bmp.begin() + offset + y * stride, bmp.begin() + offset + (y + 1) * stride,
                     bmp.begin() + offset + (h - 1 - y) * stride);
  const auto info = probe_image(bmp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->height, h);
  EXPECT_EQ(mean_abs_diff(decode_image(bmp).bgr, portrait()), 0.0);
}

// HEIC from the x265 encoder, the usual phone format; libheif decodes it (libde265).
TEST(ImageDecode, HeicThroughLibheif) {
  const fs::path path = fstest::scratch_dir("image_heic") / "photo.heic";
  const std::string problem = write_heif(portrait(), path, heif_compression_HEVC);
  ASSERT_TRUE(problem.empty()) << problem;

  const Bytes bytes = fstest::read_file(path);
  EXPECT_EQ(sniff_format(bytes), ImageFormat::Heif);
  EXPECT_EQ(open_frame_source(path)->kind(), MediaKind::Photo);
  const auto info = probe_image(bytes);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, portrait().cols);
  EXPECT_EQ(info->height, portrait().rows);

  const DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Heif);
  EXPECT_EQ(img.width, portrait().cols);
  EXPECT_EQ(img.height, portrait().rows);
  ASSERT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_LT(mean_abs_diff(img.bgr, portrait()), 6.0);
}

TEST(ImageDecode, TenBitHeicBecomesEightBit) {
  const fs::path path = fstest::scratch_dir("image_heic10") / "deep.heic";
  const std::string problem = write_heif(portrait(), path, heif_compression_HEVC, 10);
  ASSERT_TRUE(problem.empty()) << problem;
  const DecodedImage img = load_image(path);
  ASSERT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_LT(mean_abs_diff(img.bgr, portrait()), 6.0);
}

TEST(ImageDecode, HeifRotationBoxesAreApplied) {
  // Stored turned a quarter counter-clockwise, with the transform that turns it back.
  const fs::path path = fstest::scratch_dir("image_heic_irot") / "turned.heic";
  const std::string problem = write_heif(stored_for(portrait(), 6), path, heif_compression_HEVC, 8, 6);
  ASSERT_TRUE(problem.empty()) << problem;

  const auto info = probe_image(fstest::read_file(path));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, portrait().cols);  // libheif reports the displayed size
  EXPECT_EQ(info->height, portrait().rows);
  const DecodedImage img = load_image(path);
  EXPECT_EQ(img.bgr.size(), portrait().size());
  EXPECT_LT(mean_abs_diff(img.bgr, portrait()), 6.0);
}

TEST(ImageDecode, AvifThroughLibheif) {
  const fs::path path = fstest::scratch_dir("image_avif") / "photo.avif";
  const std::string problem = write_heif(portrait(), path, heif_compression_AV1);
  ASSERT_TRUE(problem.empty()) << problem;
  const DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Heif);
  EXPECT_EQ(img.bgr.size(), portrait().size());
  EXPECT_LT(mean_abs_diff(img.bgr, portrait()), 6.0);
}

TEST(ImageDecode, GifFirstFrameExactly) {
  const cv::Mat indices = palette_indices(portrait());
  cv::Mat expected(indices.size(), CV_8UC3);
  for (int y = 0; y < indices.rows; ++y)
    for (int x = 0; x < indices.cols; ++x)
      expected.at<cv::Vec3b>(y, x) = palette_bgr(indices.at<std::uint8_t>(y, x));

  for (bool interlaced : {false, true}) {
    SCOPED_TRACE(interlaced ? "interlaced" : "progressive rows");
    const Bytes gif = encode_gif(indices, 8, interlaced);
    EXPECT_EQ(sniff_format(gif), ImageFormat::Gif);
    const auto info = probe_image(gif);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->width, indices.cols);
    EXPECT_EQ(info->height, indices.rows);
    const DecodedImage img = decode_image(gif);
    EXPECT_EQ(img.format, ImageFormat::Gif);
    EXPECT_EQ(mean_abs_diff(img.bgr, expected), 0.0);
  }
}

TEST(ImageDecode, GifSmallPaletteAndTransparency) {
  // Four colours (2-bit codes) in stripes; colour 3 is transparent and must come out white.
  cv::Mat indices(37, 53, CV_8UC1);
  for (int y = 0; y < indices.rows; ++y)
    for (int x = 0; x < indices.cols; ++x)
      indices.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>((x / 5 + y) % 4);
  const DecodedImage img = decode_image(encode_gif(indices, 2, false, 3));
  for (int y = 0; y < indices.rows; ++y) {
    for (int x = 0; x < indices.cols; ++x) {
      const int i = indices.at<std::uint8_t>(y, x);
      const cv::Vec3b want = i == 3 ? cv::Vec3b(255, 255, 255) : palette_bgr(i);
      ASSERT_EQ(img.bgr.at<cv::Vec3b>(y, x), want) << "at " << x << "," << y;
    }
  }
}

// ---- orientation -----------------------------------------------------------------------------------------

// The photo must be asymmetric enough that every wrong transform of the right shape fails the checks below.
TEST(ImageOrientation, PhotoTellsEveryTransformApart) {
  for (int a = 1; a <= 8; ++a) {
    for (int b = a + 1; b <= 8; ++b) {
      const cv::Mat sa = stored_for(portrait(), a), sb = stored_for(portrait(), b);
      if (sa.size() != sb.size()) continue;  // told apart by shape alone
      EXPECT_GT(mean_abs_diff(sa, sb), 20.0) << a << " vs " << b;
    }
  }
}

TEST(ImageOrientation, ExifSixOnRotatedJpeg) {
  // A photo turned a quarter counter-clockwise, tagged 6 ("rotate 90 clockwise to view").
  cv::Mat turned;
  cv::rotate(portrait(), turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  for (bool big_endian : {false, true}) {
    SCOPED_TRACE(big_endian ? "Motorola byte order" : "Intel byte order");
    const Bytes jpeg = jpeg_with_orientation(turned, 6, big_endian);
    const auto info = probe_image(jpeg);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->orientation, 6);
    EXPECT_EQ(info->width, turned.cols);  // as stored
    EXPECT_EQ(info->height, turned.rows);

    const DecodedImage img = decode_image(jpeg);
    EXPECT_EQ(img.width, portrait().cols);
    EXPECT_EQ(img.height, portrait().rows);
    EXPECT_LT(mean_abs_diff(img.bgr, portrait()), 4.0);
  }
}

TEST(ImageOrientation, AllEightExifOrientationsJpeg) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    const Bytes jpeg = jpeg_with_orientation(stored_for(portrait(), orientation), orientation);
    EXPECT_EQ(probe_image(jpeg).value().orientation, orientation);
    const DecodedImage img = decode_image(jpeg);
    EXPECT_EQ(img.bgr.size(), portrait().size());
    EXPECT_LT(mean_abs_diff(img.bgr, portrait()), 4.0);
  }
}

TEST(ImageOrientation, ReducedJpegDecodeStaysUpright) {
  const cv::Mat& upright = portrait();  // 360 x 486
  const Bytes jpeg = jpeg_with_orientation(stored_for(upright, 6), 6);
  struct Case {
    int min_long_side;
    double scale;
  };
  for (const Case& c : {Case{240, 2.0}, Case{100, 4.0}, Case{60, 8.0}, Case{0, 1.0}, Case{480, 1.0}}) {
    SCOPED_TRACE(c.min_long_side);
    DecodeOptions options;
    options.min_long_side = c.min_long_side;
    const DecodedImage img = decode_image(jpeg, options);
    EXPECT_EQ(img.scale, c.scale);
    EXPECT_EQ(img.width, upright.cols);  // full-resolution upright size
    EXPECT_EQ(img.height, upright.rows);
    const int f = static_cast<int>(c.scale);
    EXPECT_EQ(img.bgr.cols, (upright.cols + f - 1) / f);  // libjpeg rounds reduced sizes up
    EXPECT_EQ(img.bgr.rows, (upright.rows + f - 1) / f);
    EXPECT_GE(std::max(img.bgr.cols, img.bgr.rows), c.min_long_side);
    cv::Mat expected;
    cv::resize(upright, expected, img.bgr.size(), 0, 0, cv::INTER_AREA);
    EXPECT_LT(mean_abs_diff(img.bgr, expected), 6.0);  // upright, not merely the right shape
  }
}

TEST(ImageOrientation, TiffOrientationTagAppliedOnce) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    const Bytes tiff = tiff_with_orientation(stored_for(portrait(), orientation), orientation);
    EXPECT_EQ(sniff_format(tiff), ImageFormat::Tiff);
    EXPECT_EQ(probe_image(tiff).value().orientation, orientation);
    const DecodedImage img = decode_image(tiff);
    EXPECT_EQ(img.width, portrait().cols);
    EXPECT_EQ(img.height, portrait().rows);
    EXPECT_EQ(mean_abs_diff(img.bgr, portrait()), 0.0);
  }
}

TEST(ImageOrientation, WebpExifChunkApplied) {
  const Bytes webp = webp_with_orientation(stored_for(portrait(), 8), 8);
  const auto info = probe_image(webp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->orientation, 8);
  EXPECT_EQ(info->width, portrait().rows);  // as stored
  const DecodedImage img = decode_image(webp);
  EXPECT_EQ(mean_abs_diff(img.bgr, portrait()), 0.0);  // lossless
}

// ---- refusals --------------------------------------------------------------------------------------------

TEST(ImageErrors, EmptyAndTextFiles) {
  const fs::path dir = fstest::scratch_dir("image_errors_files");
  fstest::write_file(dir / "empty.jpg", {});
  EXPECT_EQ(error_of([&] { load_image(dir / "empty.jpg"); }), "empty file (0 bytes)");

  const std::string text = "Holiday photos are in the other folder.\n";
  fstest::write_file(dir / "notes.jpg", Bytes(text.begin(), text.end()));
  EXPECT_EQ(error_of([&] { load_image(dir / "notes.jpg"); }), "not an image (unrecognised content)");
  EXPECT_EQ(error_of([&] { open_frame_source(dir / "notes.jpg"); }), "not an image (unrecognised content)");
  EXPECT_EQ(error_of([&] { decode_image(Bytes(text.begin(), text.end())); }),
            "not an image (unrecognised content)");
}

TEST(ImageErrors, MissingDirectoryAndFifo) {
  const fs::path dir = fstest::scratch_dir("image_errors_paths");
  EXPECT_EQ(error_of([&] { load_image(dir / "nope.jpg"); }), "cannot read file: no such file or directory");
  EXPECT_EQ(error_of([&] { load_image(dir); }), "cannot read file: is a directory");
  EXPECT_EQ(error_of([&] { open_frame_source(dir / "nope.jpg"); }), "cannot read file: no such file or directory");
  EXPECT_EQ(error_of([&] { open_frame_source(dir); }), "cannot read file: is a directory");
  // Reading a FIFO would block forever.
  ASSERT_EQ(::mkfifo((dir / "pipe.jpg").c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { load_image(dir / "pipe.jpg"); }), "cannot read file: not a regular file");
  EXPECT_EQ(error_of([&] { open_frame_source(dir / "pipe.jpg"); }), "cannot read file: not a regular file");
}

TEST(ImageErrors, TruncatedFiles) {
  struct Case {
    std::string name;
    Bytes whole;
    std::string message;
  };
  const Case cases[] = {
      // Its EXIF thumbnail holds an FF DA ... FF D9 of its own, which must not pass for the main image's end.
      {"camera JPEG", fstest::read_file(photo(kCameraJpeg)), "truncated JPEG (no end-of-image marker)"},
      {"progressive JPEG", fstest::read_file(photo(kProgressiveJpeg)),
       "truncated JPEG (no end-of-image marker)"},
      {"plain JPEG", encode(".jpg", portrait()), "truncated JPEG (no end-of-image marker)"},
      {"PNG", fstest::read_file(photo(kRgbaPng)), "truncated PNG (no IEND chunk)"},
      // A text chunk up front says "IEND": only a real IEND chunk may count as the end.
      {"PNG with IEND text", png_with_text(fstest::read_file(photo(kGreyPng)), "IEND"),
       "truncated PNG (no IEND chunk)"},
      {"WebP", fstest::read_file(photo(kWebpNamedJpg)), "truncated WebP"},
      {"GIF", encode_gif(palette_indices(portrait()), 8, false), "truncated GIF"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_NO_THROW(decode_image(c.whole));
    const Bytes cut(c.whole.begin(), c.whole.begin() + static_cast<long>(c.whole.size() * 6 / 10));
    const std::string error = error_of([&] { decode_image(cut); });
    EXPECT_EQ(error.rfind(c.message, 0), 0u) << error;
  }
}

TEST(ImageErrors, CorruptPixelData) {
  // Valid structure, garbage inside the compressed PNG data: libpng's CRC check refuses it.
  Bytes png = fstest::read_file(photo(kGreyPng));
  for (std::size_t i = png.size() / 2; i < png.size() / 2 + 64; ++i) png[i] ^= 0x5A;
  EXPECT_EQ(error_of([&] { decode_image(png); }), "corrupt or unsupported PNG data");

  // A JPEG with headers only: no scan, no pixels.
  const Bytes header_only = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0, 0xFF, 0xD9};
  EXPECT_EQ(probe_image(header_only).value().width, 16);
  EXPECT_EQ(error_of([&] { decode_image(header_only); }), "truncated JPEG (no end-of-image marker)");
}

TEST(ImageErrors, RandomBytesBehindJpegMagic) {
  for (std::uint32_t seed = 1; seed <= 50; ++seed) {
    Bytes bytes = {0xFF, 0xD8, 0xFF};
    const Bytes noise = random_bytes(8192, seed);
    bytes.insert(bytes.end(), noise.begin(), noise.end());
    const std::string error = error_of([&] { decode_image(bytes); });
    EXPECT_TRUE(error == "corrupt JPEG header" || error.rfind("truncated JPEG", 0) == 0 ||
                error.rfind("corrupt or unsupported JPEG data", 0) == 0)
        << "seed " << seed << ": " << error;
  }
}

TEST(ImageErrors, DecompressionBombsRefusedBeforeAllocating) {
  Bytes pnm;
  append(pnm, "P6\n# a comment\n100000 100000\n255\n");
  Bytes jpeg = {0xFF, 0xD8, 0xFF, 0xC2, 0, 17,   8, 0xFF, 0xFF, 0xFF, 0xFF,
                3,    1,    0x22, 0,    2, 0x11, 1, 3,    0x11, 1};
  Bytes gif;
  append(gif, "GIF89a");
  gif.insert(gif.end(), {0x50, 0xC3, 0x50, 0xC3, 0, 0, 0});  // 50000 x 50000
  Bytes webp;
  append(webp, "RIFF");
  put_le32(webp, 22);
  append(webp, "WEBPVP8X");
  put_le32(webp, 10);
  webp.insert(webp.end(), {0, 0, 0, 0});
  put_le24(webp, 16383);
  put_le24(webp, 16383);
  const Bytes noise = random_bytes(4096, 7);
  for (Bytes* b : {&pnm, &jpeg, &gif}) b->insert(b->end(), noise.begin(), noise.end());

  struct Case {
    std::string name;
    Bytes bytes;
    int width, height;
  };
  const Case cases[] = {{"PNG", png_claiming(100'000, 100'000, noise), 100'000, 100'000},
                        {"PNM", pnm, 100'000, 100'000},
                        {"JPEG", jpeg, 65535, 65535},
                        {"GIF", gif, 50'000, 50'000},
                        {"WebP", webp, 16384, 16384}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto info = probe_image(c.bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->width, c.width);
    EXPECT_EQ(info->height, c.height);
    const auto start = std::chrono::steady_clock::now();
    const std::string error = error_of([&] { decode_image(c.bytes); });
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(error.rfind(
                  "image too large: " + std::to_string(c.width) + "x" + std::to_string(c.height) + " = ", 0),
              0u)
        << error;
    EXPECT_NE(error.find("exceeds limit of 100.0"), std::string::npos) << error;
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 20);
  }
  EXPECT_EQ(error_of([&] { decode_image(png_claiming(0, 480, noise)); }),
            "corrupt PNG header (image size 0x480)");
}

TEST(ImageErrors, MaxPixelsIsInclusive) {
  const fs::path path = photo(kCameraJpeg);
  const auto info = probe_image(fstest::read_file(path));
  ASSERT_TRUE(info);
  DecodeOptions options;
  options.max_pixels = static_cast<std::uint64_t>(info->width) * static_cast<std::uint64_t>(info->height);
  EXPECT_NO_THROW(load_image(path, options));
  options.max_pixels -= 1;
  EXPECT_EQ(error_of([&] { load_image(path, options); }).rfind("image too large", 0), 0u);
}

}  // namespace
}  // namespace facesearch
