// Issue 13, class 2: memory bombs that pass the pixel limit. Hostile TIFFs are written byte by byte here; each is
// refused with a reason, and a child process decoding all of them never holds 1 GB.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "image/gif.hpp"
#include "image/image.hpp"

using facesearch::decode_image;
using facesearch::ImageError;

namespace {

struct Entry {
  std::uint16_t tag, type;  // type 3: SHORT, 4: LONG
  std::uint32_t value;
};

// A little-endian TIFF: the IFD entries as given (kept in this order, repeats included), one strip or tile of
// `pixel_bytes` grey bytes; StripOffsets/TileOffsets (273/324) get the data's offset written in.
std::vector<std::uint8_t> tiff(std::vector<Entry> entries, std::size_t pixel_bytes) {
  const std::uint32_t data_at = 8 + 2 + 12 * static_cast<std::uint32_t>(entries.size()) + 4;
  for (auto& e : entries)
    if (e.tag == 273 || e.tag == 324) e.value = data_at;
  std::vector<std::uint8_t> out = {'I', 'I', 42, 0, 8, 0, 0, 0};
  auto put16 = [&](std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  auto put32 = [&](std::uint32_t v) { put16(v & 0xFFFF), put16(v >> 16); };
  put16(static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries) {
    put16(e.tag);
    put16(e.type);
    put32(1);
    if (e.type == 3) put16(e.value), put16(0);
    else put32(e.value);
  }
  put32(0);
  out.resize(out.size() + pixel_bytes, 128);
  return out;
}

// Grey, uncompressed, 8 bits: the tags every TIFF here shares (sorted by tag as the spec wants).
std::vector<Entry> grey(std::vector<Entry> size_and_layout) {
  std::vector<Entry> all = {{258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {277, 3, 1}};
  all.insert(all.end(), size_and_layout.begin(), size_and_layout.end());
  std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.tag < b.tag; });
  return all;
}

std::vector<std::vector<std::uint8_t>> hostile_tiffs() {
  return {
      // The size given twice: libtiff keeps the first (900 MP), a reader of the last sees 64x64.
      tiff({{256, 4, 30000}, {256, 3, 64}, {257, 4, 30000}, {257, 3, 64}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
            {273, 4, 0}, {277, 3, 1}, {278, 4, 64}, {279, 4, 4096}},
           4096),
      // 64x64 in one 16000x16000 tile: the decoder allocates the tile (~1 GB) before it finds the data short.
      tiff(grey({{256, 3, 64}, {257, 3, 64}, {322, 4, 16000}, {323, 4, 16000}, {324, 4, 0}, {325, 4, 4096}}), 4096),
      // 16000x1 in strips of 16000 rows: the same through RowsPerStrip.
      tiff(grey({{256, 3, 16000}, {257, 3, 1}, {273, 4, 0}, {278, 4, 16000}, {279, 4, 16000}}), 16000),
  };
}

}  // namespace

TEST(Hardening, Class2TiffBombsAreRefusedWithAReason) {
  const std::vector<std::string> expected = {"tag 256 given twice", "tiles of 16000x16000", "strips of 16000x16000"};
  const auto bombs = hostile_tiffs();
  for (std::size_t i = 0; i < bombs.size(); ++i) {
    try {
      decode_image(bombs[i]);
      ADD_FAILURE() << "hostile TIFF " << i << " was decoded";
    } catch (const ImageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected[i]), std::string::npos) << e.what();
    }
  }
}

TEST(Hardening, Class2SoundTiffLayoutsStillDecode) {
  // One strip ("2^32-1 rows") and a strip padded to 48 rows of a 40x40 image: both as the spec allows.
  const std::vector<std::vector<std::uint8_t>> sound = {
      tiff(grey({{256, 3, 40}, {257, 3, 40}, {273, 4, 0}, {278, 4, 0xFFFFFFFFu}, {279, 4, 1600}}), 1600),
      tiff(grey({{256, 3, 40}, {257, 3, 40}, {273, 4, 0}, {278, 4, 48}, {279, 4, 1600}}), 1920),
  };
  for (std::size_t i = 0; i < sound.size(); ++i) {
    SCOPED_TRACE("sound TIFF " + std::to_string(i));
    facesearch::DecodedImage img;
    ASSERT_NO_THROW(img = decode_image(sound[i]));
    EXPECT_EQ(img.width, 40);
    EXPECT_EQ(img.height, 40);
    EXPECT_NEAR(cv::mean(img.bgr)[0], 128, 1);
  }
  std::vector<std::uint8_t> encoded;
  cv::imencode(".tiff", cv::Mat(300, 500, CV_8UC3, cv::Scalar(10, 200, 30)), encoded);
  const auto img = decode_image(encoded);
  EXPECT_EQ(img.width, 500);
  EXPECT_NEAR(cv::mean(img.bgr)[1], 200, 1);
}

// The peak memory of a process that meets every bomb: measured by the kernel (getrusage of the child), not guessed.
TEST(Hardening, Class2PeakMemoryOfBombsStaysUnder1GB) {
  const auto bombs = hostile_tiffs();
  const pid_t pid = fork();
  if (pid == 0) {
    int decoded = 0;
    for (const auto& bytes : bombs) try {
        decode_image(bytes);
        ++decoded;
      } catch (const ImageError&) {
      }
    _exit(decoded);
  }
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the decoding child died by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "bombs decoded";
  EXPECT_LT(usage.ru_maxrss, 1024L * 1024) << "peak RSS " << usage.ru_maxrss / 1024 << " MiB";
}

// Found by the GIF fuzz target: the decoder allocated its logical screen without the limit (a 65535x65535 screen
// around a 1x1 frame is 12.8 GB); only the frame was checked.
TEST(Hardening, Class2GifScreenIsHeldToThePixelLimit) {
  // 100x100 screen, 2-colour palette (red, blue), one 1x1 frame of index 1: LZW codes clear, 1, end (3 bits each).
  const std::vector<std::uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 100, 0, 100, 0, 0x80, 0, 0, 255, 0, 0, 0,
                                         0, 255, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0, 0x3B};
  EXPECT_THROW(facesearch::detail::decode_gif(gif, 100 * 100 - 1), facesearch::ImageError);
  const cv::Mat canvas = facesearch::detail::decode_gif(gif, 100 * 100);  // the limit is inclusive
  ASSERT_EQ(canvas.size(), cv::Size(100, 100));
  EXPECT_EQ(canvas.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 0, 0));     // the frame's pixel: blue, in BGR
  EXPECT_EQ(canvas.at<cv::Vec3b>(50, 50), cv::Vec3b(255, 255, 255));  // uncovered: white
}
