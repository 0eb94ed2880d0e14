// The media seam: files to frames by content. Unit tier: the pictures are made here.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "media/frame_source.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("fs-media-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& p, std::string_view text) { std::ofstream(p, std::ios::binary) << text; }

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string error_of(const fs::path& p) {
  try {
    open_frame_source(p)->next();
  } catch (const ImageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Media, PhotoIsOneFrameAtTimeZeroWithItsUprightSize) {
  const fs::path dir = scratch("photo");
  // A PNG named .jpg: the content decides.
  const fs::path path = dir / "picture.jpg";
  ASSERT_TRUE(cv::imwrite((dir / "p.png").string(), cv::Mat(30, 40, CV_8UC3, cv::Scalar(10, 200, 30))));
  fs::rename(dir / "p.png", path);
  auto source = open_frame_source(path);
  EXPECT_EQ(source->kind(), MediaKind::Photo);
  const std::optional<Frame> frame = source->next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->time_ms, 0);
  EXPECT_EQ(frame->image.format, ImageFormat::Png);
  EXPECT_EQ(frame->image.width, 40);
  EXPECT_EQ(frame->image.height, 30);
  EXPECT_EQ(frame->image.bgr.size(), cv::Size(40, 30));
  EXPECT_FALSE(source->next());  // one frame only
  EXPECT_FALSE(source->next());
}

TEST(Media, DecodeOptionsReachTheDecoder) {
  const fs::path dir = scratch("limits");
  ASSERT_TRUE(cv::imwrite((dir / "big.png").string(), cv::Mat(100, 100, CV_8UC3, cv::Scalar::all(0))));
  FrameSourceOptions options;
  options.decode.max_pixels = 5000;
  auto source = open_frame_source(dir / "big.png", options);
  try {
    source->next();
    ADD_FAILURE() << "the pixel limit was not applied";
  } catch (const ImageError& e) {
    EXPECT_NE(std::string(e.what()).find("image too large"), std::string::npos) << e.what();
  }
}

TEST(Media, FilesThatAreNoMediaFailWithAReason) {
  const fs::path dir = scratch("bad");
  write_text(dir / "notes.jpg", "Holiday photos are in the other folder.\n");
  write_text(dir / "empty.png", "");
  EXPECT_EQ(error_of(dir / "notes.jpg"), "not an image (unrecognised content)");
  EXPECT_EQ(error_of(dir / "empty.png"), "empty file (0 bytes)");
  EXPECT_EQ(error_of(dir / "missing.jpg"), "cannot read file: no such file or directory");
  EXPECT_EQ(error_of(dir), "cannot read file: is a directory");
  // A truncated photo opens (its head is fine) and fails when its frame is decoded.
  const fs::path cut = dir / "cut.png";
  ASSERT_TRUE(cv::imwrite(cut.string(), cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3))));
  fs::resize_file(cut, fs::file_size(cut) / 2);
  EXPECT_NE(error_of(cut).find("PNG"), std::string::npos) << error_of(cut);
}

TEST(Media, SniffingPicksTheRegisteredTypeByContent) {
  ASSERT_FALSE(media_types().empty());
  EXPECT_EQ(media_types().front().name, "photo");
  const MediaType* jpeg = sniff_media(bytes("\xFF\xD8\xFF\xE0"));
  ASSERT_NE(jpeg, nullptr);
  EXPECT_EQ(jpeg->name, "photo");
  EXPECT_EQ(jpeg->kind, MediaKind::Photo);
  // HEIF and MP4 share the ftyp box; only HEIF's image brands are photos, every other ftyp file is a video.
  const std::string heic = std::string("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24);
  const std::string mp4 = std::string("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24);
  ASSERT_NE(sniff_media(bytes(heic)), nullptr);
  EXPECT_EQ(sniff_media(bytes(heic))->name, "photo");
  ASSERT_NE(sniff_media(bytes(mp4)), nullptr);
  EXPECT_EQ(sniff_media(bytes(mp4))->name, "video");
  EXPECT_EQ(sniff_media(bytes(mp4))->kind, MediaKind::Video);
  EXPECT_EQ(sniff_media({}), nullptr);
}

TEST(Media, VideoContainersAreSniffedByTheirHeaders) {
  const std::string mkv = "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01";
  const std::string avi = std::string("RIFF\x10\0\0\0" "AVI LIST", 16);
  const std::string mov = std::string("\0\0\0\x08" "wide\0\0\0\0mdat", 16);
  const std::string webp = std::string("RIFF\x10\0\0\0" "WEBPVP8 ", 16);
  for (const std::string& video : {mkv, avi, mov}) {
    const MediaType* type = sniff_media(bytes(video));
    ASSERT_NE(type, nullptr) << video;
    EXPECT_EQ(type->name, "video");
  }
  ASSERT_NE(sniff_media(bytes(webp)), nullptr);
  EXPECT_EQ(sniff_media(bytes(webp))->name, "photo");
  EXPECT_EQ(sniff_media(bytes(std::string("RIFF\x10\0\0\0" "WAVEfmt ", 16))), nullptr);  // audio
}

TEST(Media, AVideoThatIsNoVideoIsRefusedWithAReason) {
  const fs::path dir = scratch("fake-video");
  write_text(dir / "clip.mp4", std::string("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24) + "garbage");
  try {
    open_frame_source(dir / "clip.mp4")->next();
    FAIL() << "a broken video was read";
  } catch (const ImageError& e) {
    EXPECT_NE(std::string(e.what()).find("video"), std::string::npos) << e.what();
  }
}

// Whether a shared library whose file name contains `name` is mapped into this process.
static bool loaded(std::string_view name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

// Video decoding (libavcodec and its codec libraries) is loaded on the first video, not at start-up: photos-only
// runs and short commands do not pay for it.
TEST(Media, VideoDecodingIsLoadedOnTheFirstVideoOnly) {
  const fs::path dir = scratch("lazy-video");
  cv::imwrite((dir / "photo.png").string(), cv::Mat(32, 48, CV_8UC3, cv::Scalar(10, 20, 30)));
  ASSERT_TRUE(open_frame_source(dir / "photo.png")->next());
  EXPECT_FALSE(loaded("libavcodec"));
  EXPECT_FALSE(loaded("facesearch-video.so"));
  write_text(dir / "clip.mp4", std::string("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24) + "garbage");
  EXPECT_THROW(open_frame_source(dir / "clip.mp4")->next(), ImageError);
  EXPECT_TRUE(loaded("facesearch-video.so"));
  EXPECT_TRUE(loaded("libavcodec"));
}
