// Image layer: EXIF orientation applied exactly once, and the refusal of broken, hostile or non-image inputs.
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
