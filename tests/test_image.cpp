// Image layer on real labelled photos: format sniffing, header probes, EXIF orientation, reduced decoding, HEIF,
// and the refusal of broken, hostile or non-image inputs.
#include <gtest/gtest.h>

#include <libheif/heif.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.hpp"
#include "test_support.hpp"

using namespace facesearch;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

fs::path photo(const std::string& relative) { return fstest::shared_data() / relative; }

const std::string kJpegPhoto = "deepface_testset/id01_Angelina_Jolie/img1.jpg";  // camera JPEG with EXIF thumbnails
const std::string kWebpNamedJpg = "deepface_testset/id03/img47.jpg";
const std::string kGreyPng = "faceapi_bbt/identities/amy/amy1.png";
const std::string kRgbaPng = "face_recognition_examples/extra/unlabeled/32bit.png";

// Mean absolute difference per channel value; huge when the sizes differ so a mismatch cannot pass silently.
double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

// Reference decode through OpenCV directly (upright photos only), so expectations do not come from the code under test.
cv::Mat reference_bgr(const fs::path& path) {
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (m.empty()) throw std::runtime_error("OpenCV cannot read reference photo " + path.string());
  return m;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Runs `f`, expects an ImageError whose message contains `needle` (case-insensitive).
void expect_image_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected ImageError containing '" << needle << "', but nothing was thrown";
  } catch (const ImageError& e) {
    EXPECT_NE(lower(e.what()).find(lower(needle)), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << needle << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ImageError, got another exception: " << e.what();
  }
}

Bytes encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  Bytes out;
  if (!cv::imencode(ext, m, out, params)) throw std::runtime_error("OpenCV cannot encode " + ext);
  return out;
}

// Stored pixels for an EXIF orientation, built from the tag's definition (where stored row 0 / column 0 sit in the
// upright picture) rather than from rotations, so it cross-checks the decoder's transforms.
cv::Mat stored_from_upright(const cv::Mat& upright, int orientation) {
  const int W = upright.cols, H = upright.rows;
  const bool swap = orientation >= 5;
  const int rows = swap ? W : H, cols = swap ? H : W;
  cv::Mat map_x(rows, cols, CV_32FC1), map_y(rows, cols, CV_32FC1);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      int x = c, y = r;
      switch (orientation) {
        case 2: x = W - 1 - c; break;                      // row 0 top, column 0 right
        case 3: x = W - 1 - c; y = H - 1 - r; break;       // row 0 bottom, column 0 right
        case 4: y = H - 1 - r; break;                      // row 0 bottom, column 0 left
        case 5: x = r; y = c; break;                       // row 0 left, column 0 top
        case 6: x = W - 1 - r; y = c; break;               // row 0 right, column 0 top
        case 7: x = W - 1 - r; y = H - 1 - c; break;       // row 0 right, column 0 bottom
        case 8: x = r; y = H - 1 - c; break;               // row 0 left, column 0 bottom
        default: break;
      }
      map_x.at<float>(r, c) = static_cast<float>(x);
      map_y.at<float>(r, c) = static_cast<float>(y);
    }
  }
  cv::Mat stored;
  cv::remap(upright, stored, map_x, map_y, cv::INTER_NEAREST);
  return stored;
}

void put_le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_le32(Bytes& out, std::uint32_t v) {
  put_le16(out, static_cast<std::uint16_t>(v));
  put_le16(out, static_cast<std::uint16_t>(v >> 16));
}

// A minimal uncompressed RGB TIFF of `stored` (BGR) with an Orientation tag, written by hand because OpenCV's encoder
// cannot set one.
Bytes tiff_with_orientation(const cv::Mat& stored, int orientation) {
  const auto w = static_cast<std::uint32_t>(stored.cols), h = static_cast<std::uint32_t>(stored.rows);
  constexpr std::uint32_t kEntries = 11;
  constexpr std::uint32_t kBitsAt = 8 + 2 + kEntries * 12 + 4;  // right after IFD0
  constexpr std::uint32_t kPixelsAt = kBitsAt + 6;
  Bytes t = {'I', 'I', 42, 0};
  put_le32(t, 8);  // IFD0 offset
  put_le16(t, kEntries);
  auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t count, std::uint32_t value) {
    put_le16(t, tag);
    put_le16(t, type);
    put_le32(t, count);
    if (type == 3 && count == 1) {  // a SHORT sits in the first half of the value field
      put_le16(t, static_cast<std::uint16_t>(value));
      put_le16(t, 0);
    } else {
      put_le32(t, value);
    }
  };
  entry(256, 4, 1, w);                                     // ImageWidth
  entry(257, 4, 1, h);                                     // ImageLength
  entry(258, 3, 3, kBitsAt);                               // BitsPerSample 8,8,8 (stored below)
  entry(259, 3, 1, 1);                                     // no compression
  entry(262, 3, 1, 2);                                     // RGB
  entry(273, 4, 1, kPixelsAt);                             // StripOffsets
  entry(274, 3, 1, static_cast<std::uint32_t>(orientation));
  entry(277, 3, 1, 3);                                     // SamplesPerPixel
  entry(278, 4, 1, h);                                     // one strip
  entry(279, 4, 1, w * h * 3);                             // StripByteCounts
  entry(284, 3, 1, 1);                                     // chunky pixels
  put_le32(t, 0);                                          // no next IFD
  for (int i = 0; i < 3; ++i) put_le16(t, 8);
  cv::Mat rgb;
  cv::cvtColor(stored, rgb, cv::COLOR_BGR2RGB);
  for (int r = 0; r < rgb.rows; ++r) t.insert(t.end(), rgb.ptr(r), rgb.ptr(r) + rgb.cols * 3);
  return t;
}

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// A PNG whose IHDR claims width x height, with a valid CRC, and nothing else: a decompression bomb's header.
Bytes png_header_only(std::uint32_t width, std::uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes chunk = {'I', 'H', 'D', 'R'};
  put_be32(chunk, width);
  put_be32(chunk, height);
  chunk.insert(chunk.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, adaptive filter, no interlace
  put_be32(png, 13);
  png.insert(png.end(), chunk.begin(), chunk.end());
  put_be32(png, crc32(chunk.data(), chunk.size()));
  return png;
}

// Encodes `bgr` to a HEIF file with the first encoder this libheif offers (HEVC, else AV1); "" on success.
std::string write_heif(const cv::Mat& bgr, const fs::path& path) {
  std::unique_ptr<heif_context, decltype(&heif_context_free)> ctx(heif_context_alloc(), heif_context_free);
  heif_encoder* raw_encoder = nullptr;
  if (heif_context_get_encoder_for_format(ctx.get(), heif_compression_HEVC, &raw_encoder).code != heif_error_Ok &&
      heif_context_get_encoder_for_format(ctx.get(), heif_compression_AV1, &raw_encoder).code != heif_error_Ok)
    return "this libheif build has neither an HEVC nor an AV1 encoder, so no HEIF test image can be made";
  std::unique_ptr<heif_encoder, decltype(&heif_encoder_release)> encoder(raw_encoder, heif_encoder_release);
  heif_encoder_set_lossy_quality(encoder.get(), 90);

  heif_image* raw_image = nullptr;
  heif_error err = heif_image_create(bgr.cols, bgr.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &raw_image);
  if (err.code != heif_error_Ok) return std::string("heif_image_create: ") + err.message;
  std::unique_ptr<heif_image, decltype(&heif_image_release)> image(raw_image, heif_image_release);
  err = heif_image_add_plane(image.get(), heif_channel_interleaved, bgr.cols, bgr.rows, 8);
  if (err.code != heif_error_Ok) return std::string("heif_image_add_plane: ") + err.message;
  int stride = 0;
  std::uint8_t* plane = heif_image_get_plane(image.get(), heif_channel_interleaved, &stride);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, plane, static_cast<std::size_t>(stride));
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);  // writes straight into libheif's plane

  err = heif_context_encode_image(ctx.get(), image.get(), encoder.get(), nullptr, nullptr);
  if (err.code != heif_error_Ok) return std::string("heif_context_encode_image: ") + err.message;
  err = heif_context_write_to_file(ctx.get(), path.string().c_str());
  if (err.code != heif_error_Ok) return std::string("heif_context_write_to_file: ") + err.message;
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Formats and sizes of real photos

TEST(ImageFormats, WebpWithJpgNameIsSniffedFromContent) {
  const auto path = photo(kWebpNamedJpg);
  const Bytes bytes = fstest::read_file(path);
  EXPECT_EQ(sniff_format(bytes), ImageFormat::Webp);

  auto info = probe_image(bytes);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->format, ImageFormat::Webp);

  DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Webp);
  EXPECT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_EQ(info->width, img.width);
  EXPECT_EQ(info->height, img.height);
  EXPECT_EQ(img.bgr.cols, img.width);
  EXPECT_EQ(img.bgr.rows, img.height);
  EXPECT_LT(mean_abs_diff(img.bgr, reference_bgr(path)), 1.0);
}

TEST(ImageFormats, RealJpegAndPngProbeMatchesDecode) {
  for (const auto& [relative, format] : {std::pair{kJpegPhoto, ImageFormat::Jpeg}, std::pair{kGreyPng, ImageFormat::Png},
                                         std::pair{kRgbaPng, ImageFormat::Png}}) {
    SCOPED_TRACE(relative);
    const auto path = photo(relative);
    const Bytes bytes = fstest::read_file(path);
    EXPECT_EQ(sniff_format(bytes), format);
    auto info = probe_image(bytes);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->format, format);
    EXPECT_EQ(info->orientation, 1);

    DecodedImage img = load_image(path);
    EXPECT_EQ(img.format, format);
    EXPECT_EQ(img.bgr.type(), CV_8UC3);  // grey and RGBA sources both come out as 3-channel BGR
    EXPECT_EQ(img.width, info->width);
    EXPECT_EQ(img.height, info->height);
    EXPECT_EQ(img.bgr.cols, info->width);
    EXPECT_EQ(img.bgr.rows, info->height);
    EXPECT_DOUBLE_EQ(img.scale, 1.0);
    EXPECT_LT(mean_abs_diff(img.bgr, reference_bgr(path)), 1.0);
  }
}

TEST(ImageFormats, SixteenBitPngDecodesToEightBit) {
  const cv::Mat original = reference_bgr(photo(kJpegPhoto));
  cv::Mat wide;
  original.convertTo(wide, CV_16UC3, 257.0);  // 0..255 -> 0..65535
  const auto path = fstest::scratch_dir("image_png16") / "wide.png";
  ASSERT_TRUE(cv::imwrite(path.string(), wide));
  ASSERT_EQ(cv::imread(path.string(), cv::IMREAD_UNCHANGED).depth(), CV_16U);  // really a 16-bit file

  DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Png);
  ASSERT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_LT(mean_abs_diff(img.bgr, original), 2.0);
}

TEST(ImageFormats, WebpBmpTiffEncodedFromPhoto) {
  cv::Mat original;
  cv::resize(reference_bgr(photo(kJpegPhoto)), original, {}, 0.5, 0.5, cv::INTER_AREA);
  struct Case {
    std::string ext;
    ImageFormat format;
    double tolerance;  // lossy WebP vs lossless BMP/TIFF
  };
  for (const Case& c : {Case{".webp", ImageFormat::Webp, 6.0}, Case{".bmp", ImageFormat::Bmp, 0.01},
                        Case{".tiff", ImageFormat::Tiff, 0.01}}) {
    SCOPED_TRACE(c.ext);
    const Bytes bytes = encode(c.ext, original);
    EXPECT_EQ(sniff_format(bytes), c.format);
    auto info = probe_image(bytes);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->width, original.cols);
    EXPECT_EQ(info->height, original.rows);

    DecodedImage img = decode_image(bytes);
    EXPECT_EQ(img.format, c.format);
    EXPECT_EQ(img.width, original.cols);
    EXPECT_EQ(img.height, original.rows);
    EXPECT_LT(mean_abs_diff(img.bgr, original), c.tolerance);
  }
}

TEST(ImageFormats, HeifEncodedWithLibheif) {
  cv::Mat original;
  cv::resize(reference_bgr(photo(kJpegPhoto)), original, cv::Size(480, 648), 0, 0, cv::INTER_AREA);
  const auto path = fstest::scratch_dir("image_heif") / "photo.heic";
  const std::string problem = write_heif(original, path);
  ASSERT_TRUE(problem.empty()) << problem;

  const Bytes bytes = fstest::read_file(path);
  EXPECT_EQ(sniff_format(bytes), ImageFormat::Heif);
  EXPECT_TRUE(looks_like_image(path));
  auto info = probe_image(bytes);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, original.cols);
  EXPECT_EQ(info->height, original.rows);

  DecodedImage img = load_image(path);
  EXPECT_EQ(img.format, ImageFormat::Heif);
  EXPECT_EQ(img.width, original.cols);
  EXPECT_EQ(img.height, original.rows);
  ASSERT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_LT(mean_abs_diff(img.bgr, original), 10.0);
}

// ---------------------------------------------------------------------------------------------------------------
// EXIF orientation

class ExifOrientation : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    upright_ = new cv::Mat(reference_bgr(photo(kJpegPhoto)));
  }
  static void TearDownTestSuite() {
    delete upright_;
    upright_ = nullptr;
  }
  static cv::Mat* upright_;
};
cv::Mat* ExifOrientation::upright_ = nullptr;

TEST_P(ExifOrientation, AppliedExactlyOnce) {
  const int orientation = GetParam();
  const cv::Mat& upright = *upright_;
  ASSERT_NE(upright.cols, upright.rows);  // a square photo could not tell a transpose from nothing
  const cv::Mat stored = stored_from_upright(upright, orientation);
  const Bytes bytes = fstest::jpeg_with_exif_orientation(stored, orientation);

  auto info = probe_image(bytes);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->orientation, orientation);
  EXPECT_EQ(info->width, stored.cols);
  EXPECT_EQ(info->height, stored.rows);

  DecodedImage img = decode_image(bytes);
  EXPECT_EQ(img.width, upright.cols);
  EXPECT_EQ(img.height, upright.rows);
  EXPECT_EQ(img.bgr.cols, upright.cols);
  EXPECT_EQ(img.bgr.rows, upright.rows);
  EXPECT_LT(mean_abs_diff(img.bgr, upright), 6.0);

}

// A wrong transform of the same shape differs from the right one by a mirror, a flip or a half turn: the photo must
// be asymmetric enough for the 6.0 tolerance above to catch each of them.
TEST_F(ExifOrientation, PhotoIsAsymmetricEnough) {
  for (int flip : {0, 1, -1}) {
    cv::Mat flipped;
    cv::flip(*upright_, flipped, flip);
    EXPECT_GT(mean_abs_diff(flipped, *upright_), 15.0) << "flip code " << flip;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOrientations, ExifOrientation, ::testing::Range(1, 9));

TEST(ExifOrientationReduced, RotatedJpegDecodedSmallerKeepsFullSizeGeometry) {
  const cv::Mat upright = reference_bgr(photo(kJpegPhoto));
  const Bytes bytes = fstest::jpeg_with_exif_orientation(stored_from_upright(upright, 6), 6);

  DecodeOptions options;
  options.min_long_side = std::max(upright.cols, upright.rows) / 4;
  DecodedImage img = decode_image(bytes, options);
  EXPECT_GT(img.scale, 1.5);  // really reduced: 2 or 4 up to the rounding of odd sizes
  EXPECT_LE(img.scale, 4.01);
  EXPECT_EQ(img.width, upright.cols);  // full-resolution upright size, not the reduced one
  EXPECT_EQ(img.height, upright.rows);
  ASSERT_EQ(img.bgr.type(), CV_8UC3);
  EXPECT_NEAR(img.bgr.cols, img.width / img.scale, 1.0);
  EXPECT_NEAR(img.bgr.rows, img.height / img.scale, 1.0);
  EXPECT_GE(std::max(img.bgr.cols, img.bgr.rows), options.min_long_side);

  cv::Mat expected;
  cv::resize(upright, expected, img.bgr.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(mean_abs_diff(img.bgr, expected), 8.0);  // upright, not just the right shape
}

// TIFF keeps its orientation in the file's own IFD rather than in EXIF; it must still be applied exactly once.
TEST(TiffOrientation, AppliedExactlyOnce) {
  cv::Mat upright;
  cv::resize(reference_bgr(photo(kJpegPhoto)), upright, {}, 0.25, 0.25, cv::INTER_AREA);
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE("orientation " + std::to_string(orientation));
    const Bytes bytes = tiff_with_orientation(stored_from_upright(upright, orientation), orientation);
    EXPECT_EQ(sniff_format(bytes), ImageFormat::Tiff);
    auto info = probe_image(bytes);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->orientation, orientation);

    DecodedImage img = decode_image(bytes);
    EXPECT_EQ(img.width, upright.cols);
    EXPECT_EQ(img.height, upright.rows);
    EXPECT_LT(mean_abs_diff(img.bgr, upright), 0.5);  // lossless
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Bad inputs

TEST(ImageErrors, EmptyFile) {
  const auto path = fstest::scratch_dir("image_empty") / "empty.jpg";
  fstest::write_file(path, {});
  expect_image_error([&] { load_image(path); }, "empty");
}

TEST(ImageErrors, TextFileIsNotAnImage) {
  const auto path = fstest::scratch_dir("image_text") / "notes.jpg";
  const std::string text = "These are notes about the photos, not a photo.\n";
  fstest::write_file(path, Bytes(text.begin(), text.end()));
  expect_image_error([&] { load_image(path); }, "not an image");
  EXPECT_FALSE(looks_like_image(path));
}

TEST(ImageErrors, TruncatedCameraJpeg) {
  // This photo carries EXIF thumbnails, whose own end-of-image markers must not hide the missing tail.
  Bytes bytes = fstest::read_file(photo(kJpegPhoto));
  bytes.resize(bytes.size() * 6 / 10);
  expect_image_error([&] { decode_image(bytes); }, "truncated");
}

TEST(ImageErrors, TruncatedPlainJpeg) {
  Bytes bytes = encode(".jpg", reference_bgr(photo(kGreyPng)));
  bytes.resize(bytes.size() * 6 / 10);
  expect_image_error([&] { decode_image(bytes); }, "truncated");
}

TEST(ImageErrors, TruncatedPng) {
  const auto path = fstest::scratch_dir("image_truncated_png") / "half.png";
  Bytes bytes = fstest::read_file(photo(kRgbaPng));
  bytes.resize(bytes.size() / 2);
  fstest::write_file(path, bytes);
  expect_image_error([&] { load_image(path); }, "truncated");
}

TEST(ImageErrors, RandomBytesAfterJpegMagic) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE(trial);
    Bytes bytes = {0xFF, 0xD8, 0xFF};
    for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<std::uint8_t>(rng()));
    expect_image_error([&] { decode_image(bytes); }, "jpeg");
  }
}

TEST(ImageErrors, HugePngHeaderRefusedQuickly) {
  const Bytes png = png_header_only(100'000, 100'000);
  auto info = probe_image(png);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, 100'000);
  EXPECT_EQ(info->height, 100'000);

  const auto start = std::chrono::steady_clock::now();
  expect_image_error([&] { decode_image(png); }, "too large");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 100);
}

TEST(ImageErrors, MaxPixelsHonouredOnRealPhoto) {
  const auto path = photo(kJpegPhoto);
  auto info = probe_image(fstest::read_file(path));
  ASSERT_TRUE(info.has_value());
  const auto pixels = static_cast<std::uint64_t>(info->width) * static_cast<std::uint64_t>(info->height);

  DecodeOptions options;
  options.max_pixels = pixels - 1;
  expect_image_error([&] { load_image(path, options); }, "too large");
  options.max_pixels = pixels;  // the limit is inclusive
  EXPECT_NO_THROW(load_image(path, options));
}

TEST(ImageErrors, MissingFileAndDirectory) {
  const auto dir = fstest::scratch_dir("image_paths");
  expect_image_error([&] { load_image(dir / "no-such-photo.jpg"); }, "no such file");
  expect_image_error([&] { load_image(dir); }, "directory");
  EXPECT_FALSE(looks_like_image(dir / "no-such-photo.jpg"));
}

TEST(ImageSniffing, LooksLikeImage) {
  EXPECT_TRUE(looks_like_image(photo(kJpegPhoto)));
  EXPECT_TRUE(looks_like_image(photo(kWebpNamedJpg)));
  EXPECT_TRUE(looks_like_image(photo(kRgbaPng)));
  const auto path = fstest::scratch_dir("image_sniff") / "readme.png";
  const std::string text = "just text\n";
  fstest::write_file(path, Bytes(text.begin(), text.end()));
  EXPECT_FALSE(looks_like_image(path));
}
