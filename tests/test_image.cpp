// Image layer on real photos: content sniffing, header probes and every format (HEIF through libheif, GIF through
// our own decoder). Orientation and refusals: test_image_errors.cpp; the file builders: image_builders.cpp.
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

#include "image_builders.hpp"

namespace facesearch {
namespace {

using namespace imagetest;

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

}  // namespace
}  // namespace facesearch
