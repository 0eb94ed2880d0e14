// `facesearch serve` over a library that holds a video: appearances in search results, best-frame thumbnails, the
// video file streamed with bounded byte ranges (no amplification), and the same token rules as photos.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "media/video_source.hpp"
#include "server/video.hpp"
#include "server_support.hpp"

using namespace servertest;
using facesearch::server::ByteRangeAnswer;
using facesearch::server::resolve_range;

namespace {

constexpr size_t kRangeCap = 4096;  // small, so the test clip is larger than one ranged answer

// The clips of scripts/make-test-videos.sh, made once per build tree (shared with test_video, under its lock).
fs::path test_videos() {
  const fs::path script = fs::path(FACESEARCH_SOURCE_DIR) / "scripts/make-test-videos.sh";
  const fs::path dir = fs::path(FACESEARCH_BINARY_DIR) / "test-scratch" / "video";
  const fs::path stamp = dir / ".made";
  fs::create_directories(dir.parent_path());
  const int lock = ::open((dir.parent_path() / "video.lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock < 0) return {};
  ::flock(lock, LOCK_EX);
  std::error_code ec;
  if (!fs::exists(stamp) || fs::last_write_time(stamp, ec) < fs::last_write_time(script)) {
    const fs::path made_dir = fstest::scratch_dir("video");
    const auto made = fstest::run_command("'" + script.string() + "' '" + fstest::shared_data().string() + "' '" +
                                          made_dir.string() + "' 2>&1 && touch '" + stamp.string() + "'");
    if (made.exit_code != 0) ADD_FAILURE() << "making the test videos (needs ffmpeg): " << made.out;
  }
  ::close(lock);
  return dir;
}

class ServerVideo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path clips = test_videos();
    // A folder of this process's own: ctest -j runs the tests of this suite in parallel processes.
    folder_ = new fs::path(fstest::scratch_dir("server-video-" + std::to_string(::getpid())) / "media");
    fs::create_directories(*folder_);
    fs::copy_file(clips / "cuts.mp4", *folder_ / "cuts.mp4");
    const fs::path set = fstest::shared_data() / "deepface_testset";
    fs::copy_file(set / "id02/img3.jpg", *folder_ / "id02.jpg");
    const fs::path library = folder_->parent_path() / "library";
    Library(library).index({*folder_}, EngineConfig{}, IndexOptions{});
    ServerOptions options = options_for(library);
    options.max_range_bytes = kRangeCap;
    server_ = new RunningServer(options);
    options.token = "0123456789abcdef0123";
    guarded_ = new RunningServer(options);

    auto r = server_->client().Post("/api/search", upload(set / "id01_Angelina_Jolie/img5.jpg"));
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : httplib::to_string(r.error()));
    const json found = json::parse(r->body);
    for (const auto& m : found["matches"])
      if (m["path"].get<std::string>().ends_with("cuts.mp4")) video_matches_.push_back(m);
  }
  static void TearDownTestSuite() {
    delete guarded_;
    delete server_;
    std::error_code ignored;
    fs::remove_all(folder_->parent_path(), ignored);
    delete folder_;
  }
  static httplib::Client client() { return server_->client(); }
  static std::string video_url() { return "/api/videos/" + std::to_string(video_matches_.at(0)["image_id"].get<std::int64_t>()); }
  static std::string file_bytes() { return file_text(*folder_ / "cuts.mp4"); }

  static inline fs::path* folder_ = nullptr;
  static inline RunningServer* server_ = nullptr;
  static inline RunningServer* guarded_ = nullptr;
  static inline std::vector<json> video_matches_;
};

}  // namespace

// Search finds both appearances of id01 in cuts.mp4 (0-3 s and 8-11 s), as records with their times.
TEST_F(ServerVideo, SearchReturnsAppearancesWithTimes) {
  ASSERT_EQ(video_matches_.size(), 2u);
  std::vector<double> starts;
  for (const auto& m : video_matches_) {
    const double start = m["t_start"], end = m["t_end"], best = m["t_best"];
    EXPECT_LE(start, best);
    EXPECT_LE(best, end);
    EXPECT_EQ(m["frame_width"], 640);
    EXPECT_EQ(m["frame_height"], 480);
    EXPECT_EQ(m["width"], 640);
    starts.push_back(start);
  }
  std::sort(starts.begin(), starts.end());
  EXPECT_NEAR(starts[0], 0, 1);
  EXPECT_NEAR(starts[1], 8, 1);
}

// A video face's thumbnail is cut from its best frame; the picture of a video id is a frame, as a JPEG.
TEST_F(ServerVideo, ThumbnailAndFrameAreJpegs) {
  ASSERT_FALSE(video_matches_.empty());
  const json& m = video_matches_[0];
  auto thumb = client().Get("/api/faces/" + std::to_string(m["face_id"].get<std::int64_t>()) + "/thumbnail?size=120");
  ASSERT_TRUE(thumb && thumb->status == 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
  const cv::Mat t = decode(thumb->body);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.cols, 120);
  EXPECT_EQ(t.rows, 120);
  // Not the grey of a box outside the picture: a face is there.
  cv::Scalar mean, stddev;
  cv::meanStdDev(t, mean, stddev);
  EXPECT_GT(stddev[0], 10);

  const std::string frame_url = "/api/images/" + std::to_string(m["image_id"].get<std::int64_t>());
  auto frame = client().Get(frame_url + "?max_side=320&t_ms=" +
                            std::to_string(std::llround(m["t_best"].get<double>() * 1000)));
  ASSERT_TRUE(frame && frame->status == 200) << (frame ? frame->body : "");
  const cv::Mat f = decode(frame->body);
  EXPECT_EQ(f.cols, 320);
  EXPECT_EQ(f.rows, 240);
  auto by_default = client().Get(frame_url + "?max_side=320");
  ASSERT_TRUE(by_default && by_default->status == 200);
  // Frames are taken at their time: 0 s (id01, one photo) and 8 s (id01, another photo) differ.
  auto at = [&](int ms) { return decode(client().Get(frame_url + "?max_side=320&t_ms=" + std::to_string(ms))->body); };
  const cv::Mat first = at(0), later = at(8500);
  ASSERT_EQ(first.size(), later.size());
  EXPECT_GT(cv::norm(first, later, cv::NORM_L1) / first.total(), 20.0);
  expect_json_error(client().Get(frame_url + "?t_ms=-1"), 400, "negative time");
}

TEST_F(ServerVideo, WholeFileAndByteRanges) {
  ASSERT_FALSE(video_matches_.empty());
  const std::string bytes = file_bytes();
  ASSERT_GT(bytes.size(), 2 * kRangeCap);
  const std::string size = std::to_string(bytes.size());
  auto c = client();

  auto whole = c.Get(video_url());
  ASSERT_TRUE(whole && whole->status == 200);
  EXPECT_EQ(whole->get_header_value("Content-Type"), "video/mp4");
  EXPECT_EQ(whole->get_header_value("Accept-Ranges"), "bytes");
  EXPECT_TRUE(whole->body == bytes) << "the whole file, byte for byte";

  auto part = c.Get(video_url(), {{"Range", "bytes=100-199"}});
  ASSERT_TRUE(part && part->status == 206);
  EXPECT_EQ(part->body.size(), 100u);
  EXPECT_TRUE(part->body == bytes.substr(100, 100));
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 100-199/" + size);

  // A player's "from here to the end", or any huge range: one capped answer.
  for (const std::string range : {"bytes=0-", "bytes=10-999999999999"}) {
    auto capped = c.Get(video_url(), {{"Range", range}});
    ASSERT_TRUE(capped && capped->status == 206) << range;
    EXPECT_EQ(capped->body.size(), kRangeCap) << range;
    const size_t from = range == "bytes=0-" ? 0 : 10;
    EXPECT_TRUE(capped->body == bytes.substr(from, kRangeCap)) << range;
    EXPECT_EQ(capped->get_header_value("Content-Range"),
              "bytes " + std::to_string(from) + "-" + std::to_string(from + kRangeCap - 1) + "/" + size);
  }
  auto tail = c.Get(video_url(), {{"Range", "bytes=-50"}});
  ASSERT_TRUE(tail && tail->status == 206);
  EXPECT_TRUE(tail->body == bytes.substr(bytes.size() - 50));

  // Several ranges: only the first, never a multipart answer that repeats the file.
  std::string many = "bytes=0-99";
  for (int i = 0; i < 200; ++i) many += ",0-";
  auto multi = c.Get(video_url(), {{"Range", many}});
  ASSERT_TRUE(multi && multi->status == 206);
  EXPECT_EQ(multi->body.size(), 100u);
  EXPECT_EQ(multi->get_header_value("Content-Type"), "video/mp4");

  auto past = c.Get(video_url(), {{"Range", "bytes=" + size + "-"}});
  expect_json_error(past, 416, "a range past the end");
  EXPECT_EQ(past->get_header_value("Content-Range"), "bytes */" + size);
}

// httplib would answer several ranges of any answer (a photo, a thumbnail) as a multipart body built in memory.
TEST_F(ServerVideo, OtherAnswersIgnoreRanges) {
  ASSERT_FALSE(video_matches_.empty());
  const std::string url = "/api/faces/" + std::to_string(video_matches_[0]["face_id"].get<std::int64_t>()) + "/thumbnail";
  auto plain = client().Get(url);
  ASSERT_TRUE(plain && plain->status == 200);
  std::string many = "bytes=0-";
  for (int i = 0; i < 100; ++i) many += ",0-";
  auto ranged = client().Get(url, {{"Range", many}});
  ASSERT_TRUE(ranged && ranged->status == 200);
  EXPECT_EQ(ranged->body.size(), plain->body.size());
  EXPECT_EQ(ranged->get_header_value("Content-Type"), "image/jpeg");
}

TEST_F(ServerVideo, OnlyIndexedVideosById) {
  auto c = client();
  auto photo = c.Post("/api/search", upload(fstest::shared_data() / "deepface_testset/id02/img3.jpg"));
  ASSERT_TRUE(photo && photo->status == 200);
  std::int64_t photo_id = 0;
  const json found = json::parse(photo->body);
  for (const auto& m : found["matches"])
    if (m["path"].get<std::string>().ends_with("id02.jpg")) photo_id = m["image_id"];
  ASSERT_GT(photo_id, 0);
  expect_json_error(c.Get("/api/videos/" + std::to_string(photo_id)), 404, "a photo's id");
  expect_json_error(c.Get("/api/videos/987654321"), 404, "an unknown id");
  expect_json_error(c.Get("/api/videos/..%2f..%2fetc%2fpasswd"), 404, "a path");
}

TEST_F(ServerVideo, TokenRequiredWhenSet) {
  ASSERT_FALSE(video_matches_.empty());
  auto c = guarded_->client();
  auto refused = c.Get(video_url(), {{"Range", "bytes=0-99"}});
  expect_json_error(refused, 401, "no token");
  expect_json_error(c.Get(video_url(), {{"Authorization", "Bearer wrong-token-wrong-token"}}), 401, "wrong token");
  auto ok = c.Get(video_url(), {{"Authorization", "Bearer 0123456789abcdef0123"}, {"Range", "bytes=0-99"}});
  ASSERT_TRUE(ok && ok->status == 206);
  EXPECT_EQ(ok->body.size(), 100u);
}

TEST(ServerVideoRange, HeaderRules) {
  using K = ByteRangeAnswer::Kind;
  auto check = [](std::string_view h, std::uint64_t size, K kind, std::uint64_t offset = 0, std::uint64_t length = 0) {
    const auto a = resolve_range(h, size, 1000);
    EXPECT_EQ(a.kind, kind) << h;
    if (kind == K::Partial) {
      EXPECT_EQ(a.offset, offset) << h;
      EXPECT_EQ(a.length, length) << h;
    }
  };
  check("bytes=0-0", 10, K::Partial, 0, 1);
  check("bytes=5-", 10, K::Partial, 5, 5);
  check("bytes=5-100", 10, K::Partial, 5, 5);
  check("bytes=-3", 10, K::Partial, 7, 3);
  check("bytes=-30", 10, K::Partial, 0, 10);
  check("bytes=0-", 5000, K::Partial, 0, 1000);               // capped
  check("bytes=4500-", 5000, K::Partial, 4500, 500);
  check("bytes=10-", 10, K::Unsatisfiable);
  check("bytes=-0", 10, K::Unsatisfiable);
  check("bytes=0-", 0, K::Unsatisfiable);
  check("bytes=20-30, 2-3", 10, K::Partial, 2, 2);           // the first satisfiable range
  check(" bytes = 1-2", 10, K::Whole);                       // not understood: ignored
  check("bytes=3-1", 10, K::Whole);
  check("bytes=a-b", 10, K::Whole);
  check("items=0-1", 10, K::Whole);
  check("bytes=18446744073709551615-", 10, K::Unsatisfiable);
}

// The frame a thumbnail is cut from: the one at the asked time (as reading every frame finds it), upright, reduced
// like analysis reduces it, the last one past the end.
TEST(ServerVideoFrame, ReadVideoFrameAtATime) {
  const fs::path clips = test_videos();
  FrameSourceOptions every;
  every.video_fps = 0;
  std::optional<Frame> nearest;
  VideoSource source(clips / "cuts.mp4", every);
  while (auto f = source.next())
    if (!nearest || std::llabs(f->time_ms - 8520) < std::llabs(nearest->time_ms - 8520)) nearest = std::move(f);
  ASSERT_TRUE(nearest);
  const Frame seeked = read_video_frame(clips / "cuts.mp4", 8520, {});
  EXPECT_NEAR(static_cast<double>(seeked.time_ms), static_cast<double>(nearest->time_ms), 41);
  ASSERT_EQ(seeked.image.bgr.size(), nearest->image.bgr.size());
  EXPECT_LT(cv::norm(seeked.image.bgr, nearest->image.bgr, cv::NORM_L1) / seeked.image.bgr.total(), 3.0);

  const Frame portrait = read_video_frame(clips / "portrait.mp4", 1000, {});
  EXPECT_EQ(portrait.image.width, 360);
  EXPECT_EQ(portrait.image.height, 640);
  EXPECT_EQ(portrait.image.bgr.cols, 360);

  const Frame last = read_video_frame(clips / "cuts.mp4", 3'600'000, {});
  EXPECT_GT(last.time_ms, 10000);

  FrameSourceOptions reduced;
  reduced.decode.min_long_side = 320;
  const Frame small = read_video_frame(clips / "cuts.mp4", 500, reduced);
  EXPECT_EQ(small.image.width, 640);
  EXPECT_EQ(small.image.bgr.cols, 320);
  EXPECT_THROW(read_video_frame(clips / "audio.m4a", 0, {}), ImageError);
}
