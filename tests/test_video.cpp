// Videos: known people at known times in clips built from the shared photos (scripts/make-test-videos.sh, at test
// time, never committed). Each appearance is found once with its times within 1 s of the truth; a query photo of
// the person (another photo than the clip's) finds every appearance and nobody else's.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>
#include <regex>
#include <set>
#include <sstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/batch.hpp"
#include "engine/engine.hpp"
#include "engine/track.hpp"
#include "media/video_decoder.hpp"
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

struct Appearance {
  std::string person;
  double start_s, end_s;
};

// The truth of scripts/make-test-videos.sh.
const std::map<std::string, std::vector<Appearance>> kTruth = {
    {"cuts.mp4", {{"id01", 0, 3}, {"id02", 3, 6}, {"id01", 8, 11}}},
    {"reshot.mp4", {{"id02", 0, 2}, {"id02", 2, 4}}},  // a cut ends a track, even of the same person
    {"offcut.mp4", {{"id01", 0, 3.2}, {"id03", 3.2, 6}}},  // a cut between two samples
    {"zoom.mkv", {{"id03", 0, 5}}},
    {"pan.webm", {{"id04", 0, 4}}},
    {"two.avi", {{"id01", 0, 4}, {"id03", 0, 4}}},
    {"portrait.mp4", {{"id02", 0, 3}}},
    {"bframes.mp4", {{"id04", 0, 3}, {"id02", 3, 6}}},  // H.264 with B-frames
    {"hevc.mov", {{"id03", 0, 4}}},                     // HEVC with B-frames
    {"nobody.mp4", {}},
};

// Query photos: other photos of the same people than the clips show.
const std::map<std::string, std::string> kQueries = {{"id01", "id01_Angelina_Jolie/img5.jpg"},
                                                     {"id02", "id02/img53.jpg"},
                                                     {"id03", "id03/img47.jpg"},
                                                     {"id04", "id04/img14.jpg"}};

class Video : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each test in its own process: the clips are made once, again only when the script changes.
    const fs::path script = fs::path(FACESEARCH_SOURCE_DIR) / "scripts/make-test-videos.sh";
    dir_ = fs::path(FACESEARCH_BINARY_DIR) / "test-scratch" / "video";
    const fs::path stamp = dir_ / ".made";
    // Tests running in parallel (ctest -j) wait for the one that makes the clips.
    fs::create_directories(dir_.parent_path());
    const int lock = ::open((dir_.parent_path() / "video.lock").c_str(), O_CREAT | O_RDWR, 0644);
    ASSERT_GE(lock, 0);
    ::flock(lock, LOCK_EX);
    struct Unlock {
      int fd;
      ~Unlock() { ::close(fd); }
    } unlock{lock};
    std::error_code ec;
    if (!fs::exists(stamp) || fs::last_write_time(stamp, ec) < fs::last_write_time(script)) {
      dir_ = fstest::scratch_dir("video");
      const fstest::CommandRun made = fstest::run_command("'" + script.string() + "' '" +
                                                          fstest::shared_data().string() + "' '" + dir_.string() +
                                                          "' 2>&1 && touch '" + stamp.string() + "'");
      ASSERT_EQ(made.exit_code, 0) << "making the test videos (needs ffmpeg: scripts/install-deps.sh): " << made.out;
    }
    engine_.emplace(EngineConfig{});
    for (const auto& [person, photo] : kQueries) {
      const ImageFaces q = engine_->analyze_file(fstest::shared_data() / "deepface_testset" / photo);
      const int face = choose_face(q, "largest");
      ASSERT_GE(face, 0) << photo;
      queries_[person] = q.faces[static_cast<std::size_t>(face)].embedding;
    }
  }
  static void TearDownTestSuite() { engine_.reset(); }

  static float threshold() { return static_cast<float>(engine_->pack().default_threshold()); }
  static std::string error_of(const std::string& name, const EngineConfig* config = nullptr) {
    try {
      if (config) Engine(*config).analyze_file(dir_ / name);
      else engine_->analyze_file(dir_ / name);
    } catch (const ImageError& e) {
      return e.what();
    }
    return "";
  }
  // People whose query the face matches above the default threshold.
  static std::vector<std::string> people_of(const Face& face) {
    std::vector<std::string> people;
    for (const auto& [person, query] : queries_)
      if (dot(query, face.embedding) >= threshold()) people.push_back(person);
    return people;
  }

  static inline fs::path dir_;
  static inline std::optional<Engine> engine_;
  static inline std::map<std::string, Embedding> queries_;
};

TEST_F(Video, EachAppearanceIsOneTrackWithItsTimesAndItsPerson) {
  for (const auto& [clip, truth] : kTruth) {
    SCOPED_TRACE(clip);
    const ImageFaces faces = engine_->analyze_file(dir_ / clip);
    EXPECT_EQ(faces.kind, MediaKind::Video);
    for (const Face& f : faces.faces)
      std::printf("%-13s %6lld-%6lld ms best %6lld  score %.2f  people %s\n", clip.c_str(),
                  static_cast<long long>(f.time.first_ms), static_cast<long long>(f.time.last_ms),
                  static_cast<long long>(f.time.best_ms), f.score,
                  people_of(f).empty() ? "-" : people_of(f).front().c_str());
    ASSERT_EQ(faces.faces.size(), truth.size()) << "one Face per appearance";
    std::vector<bool> used(truth.size());
    for (const Face& f : faces.faces) {
      ASSERT_EQ(f.embedding.size(), queries_.begin()->second.size());
      EXPECT_LE(f.time.first_ms, f.time.best_ms);
      EXPECT_LE(f.time.best_ms, f.time.last_ms);
      const std::vector<std::string> people = people_of(f);
      ASSERT_EQ(people.size(), 1u) << "appearance at " << f.time.first_ms << " ms matches " << people.size();
      bool found = false;
      for (std::size_t i = 0; i < truth.size() && !found; ++i) {
        const Appearance& a = truth[i];
        if (used[i] || a.person != people[0] || std::abs(f.time.first_ms - a.start_s * 1000) > 1000 ||
            std::abs(f.time.last_ms - a.end_s * 1000) > 1000)
          continue;
        used[i] = found = true;
      }
      EXPECT_TRUE(found) << people[0] << " at " << f.time.first_ms << "-" << f.time.last_ms << " ms";
    }
  }
}

// `faces` without --embeddings (embed = false) finds the same appearances, with the same times, and returns no
// embeddings: the tracker still tells people apart by identity, not by their place on screen alone (two people
// framed alike across a cut were one appearance before).
TEST_F(Video, WithoutEmbeddingsTheAppearancesAreTheSame) {
  for (const auto& [clip, truth] : kTruth) {
    SCOPED_TRACE(clip);
    const ImageFaces with = engine_->analyze_file(dir_ / clip, true);
    const ImageFaces without = engine_->analyze_file(dir_ / clip, false);
    ASSERT_EQ(without.faces.size(), truth.size());
    ASSERT_EQ(without.faces.size(), with.faces.size());
    for (std::size_t i = 0; i < with.faces.size(); ++i) {
      EXPECT_TRUE(without.faces[i].embedding.empty());
      EXPECT_EQ(without.faces[i].time.first_ms, with.faces[i].time.first_ms);
      EXPECT_EQ(without.faces[i].time.last_ms, with.faces[i].time.last_ms);
      EXPECT_EQ(without.faces[i].time.best_ms, with.faces[i].time.best_ms);
    }
  }
}

TEST_F(Video, SamplesAboutTwoFramesPerSecondAndStopsAtTheLimit) {
  const ImageFaces all = engine_->analyze_file(dir_ / "cuts.mp4");
  EXPECT_EQ(all.width, 640);
  EXPECT_EQ(all.height, 480);
  EXPECT_GE(all.frames, 21u);  // 11 s at 2 per second
  EXPECT_LE(all.frames, 23u);
  // 11 s at 25 fps hold 275 frames, a key frame every 2 s: the frames after the last sample of a key frame's group
  // are never decoded, and a twelfth of the frames are converted and analysed.
  EXPECT_LT(all.frames_decoded, 250u);
  EXPECT_GE(all.frames_decoded, all.frames);

  EngineConfig config;
  config.max_video_seconds = 4;
  config.video_fps = 1;
  const ImageFaces first = Engine(config).analyze_file(dir_ / "cuts.mp4");
  EXPECT_GE(first.frames, 4u);
  EXPECT_LE(first.frames, 5u);
  ASSERT_EQ(first.faces.size(), 2u);  // id01, then id02 from 3 s
  for (const Face& f : first.faces) EXPECT_LE(f.time.last_ms, 4000);
}

// A cut between two samples is sampled where it happens (the key frame the encoder starts there), not up to half
// a second later: offcut.mp4 cuts from id01 to id03 at 3.2 s, between the samples at 3.0 and 3.5 s.
TEST_F(Video, ACutBetweenSamplesIsSampledWhereItHappens) {
  const ImageFaces faces = engine_->analyze_file(dir_ / "offcut.mp4");
  EXPECT_EQ(faces.frames, 13u);  // 6 s at 2 per second, and the cut
  ASSERT_EQ(faces.faces.size(), 2u);
  EXPECT_EQ(people_of(faces.faces[1]), std::vector<std::string>{"id03"});
  EXPECT_NEAR(static_cast<double>(faces.faces[1].time.first_ms), 3200, 40);
  EXPECT_LT(faces.faces[0].time.last_ms, 3200);
}

// The groups of pictures between key frames are decoded on two threads, each from its own key frame
// (media/video_segments.hpp): the frames, their order and their pixels are those of one thread, sampled or not.
TEST_F(Video, TwoDecodingThreadsGiveTheFramesOfOne) {
  for (const char* clip : {"cuts.mp4", "offcut.mp4"})
    for (const double fps : {2.0, 0.0}) {
      SCOPED_TRACE(std::string(clip) + " at " + std::to_string(fps) + " fps");
      std::vector<std::vector<Frame>> runs;
      std::vector<std::size_t> decoded;
      for (const int threads : {1, 2}) {
        FrameSourceOptions options = engine_->frame_options();
        options.video_fps = fps;
        options.decode_threads = threads;
        const std::unique_ptr<FrameSource> source = open_frame_source(dir_ / clip, options);
        std::vector<Frame>& frames = runs.emplace_back();
        while (std::optional<Frame> f = source->next()) frames.push_back(std::move(*f));
        decoded.push_back(source->frames_decoded());
      }
      EXPECT_EQ(decoded[0], decoded[1]);
      ASSERT_EQ(runs[0].size(), runs[1].size());
      if (fps == 0) {
        EXPECT_EQ(runs[0].size(), decoded[0]);  // every frame
      }
      for (std::size_t i = 0; i < runs[0].size(); ++i) {
        EXPECT_EQ(runs[0][i].time_ms, runs[1][i].time_ms);
        EXPECT_EQ(cv::norm(runs[0][i].image.bgr, runs[1][i].image.bgr, cv::NORM_INF), 0) << i;
        if (i > 0) {
          EXPECT_GT(runs[1][i].time_ms, runs[1][i - 1].time_ms);
        }
      }
    }
}

// Sampling with slack (the default sampling) skips H.264's B-frames and samples the next I- or P-frame instead;
// HEVC's P-frames refer to its B-frames, so HEVC is decoded as without slack. Either way each sample is a frame of
// the stream as a full decode gives it, at most half an interval late (the early reference frames are decoded
// without their deblocking filter, so the samples differ from a full decode by a little noise, no more).
TEST_F(Video, SkippingBFramesLeavesTheSamplesIntact) {
  constexpr double kInterval = 500, kSlack = kInterval / 2;
  struct Sample {
    double wanted, time;
    cv::Mat bgr;
  };
  const DecodeOptions decode = engine_->frame_options().decode;
  auto sample = [&](const std::string& clip, double slack, std::size_t& decoded) {
    std::vector<Sample> samples;
    const std::unique_ptr<VideoDecoder> decoder = open_video_decoder(dir_ / clip, decode);
    const double half = decoder->frame_interval_ms() / 2;
    for (double wanted = 0;; wanted += kInterval) {
      std::optional<double> t;
      while ((t = decoder->decode_next(wanted, slack)) && *t + half < wanted) {
      }
      if (!t) break;
      samples.push_back({wanted, *t, decoder->frame(0).image.bgr.clone()});
    }
    decoded = decoder->frames_decoded();
    return samples;
  };
  for (const std::string clip : {"bframes.mp4", "hevc.mov"}) {
    SCOPED_TRACE(clip);
    std::size_t exact_decoded = 0, slack_decoded = 0, all_decoded = 0;
    const std::vector<Sample> exact = sample(clip, 0, exact_decoded);
    const std::vector<Sample> slack = sample(clip, kSlack, slack_decoded);
    std::map<double, cv::Mat> full;  // every frame, decoded from the start with nothing skipped
    {
      const std::unique_ptr<VideoDecoder> decoder = open_video_decoder(dir_ / clip, decode);
      while (const std::optional<double> t = decoder->decode_next(0, 0)) full[*t] = decoder->frame(0).image.bgr.clone();
      all_decoded = decoder->frames_decoded();
    }
    ASSERT_GE(exact.size(), 8u);
    ASSERT_EQ(slack.size(), exact.size());
    double lowest_psnr = 100;
    for (const Sample& s : slack) {
      EXPECT_GE(s.time, s.wanted - 20);
      EXPECT_LT(s.time, s.wanted + kSlack);
      ASSERT_TRUE(full.count(s.time)) << s.time;
      lowest_psnr = std::min(lowest_psnr, cv::PSNR(s.bgr, full[s.time]));
    }
    std::printf("%s: %zu frames; %zu decoded for %zu samples at their time, %zu with slack; lowest PSNR against a "
                "full decode %.1f dB\n",
                clip.c_str(), all_decoded, exact_decoded, exact.size(), slack_decoded, lowest_psnr);
    EXPECT_GE(lowest_psnr, 35.0);
    if (clip == "bframes.mp4") {
      // 6 s at 25 fps with three B-frames in four: only I- and P-frames are decoded (a P-frame that referred to a
      // skipped B-frame would come out damaged, below the PSNR bar).
      EXPECT_LE(slack_decoded * 10, exact_decoded * 7);
      EXPECT_LE(slack_decoded * 3, all_decoded);
    } else {
      EXPECT_EQ(slack_decoded, exact_decoded);
      for (std::size_t i = 0; i < slack.size(); ++i) {
        EXPECT_EQ(slack[i].time, exact[i].time);
        EXPECT_EQ(cv::norm(slack[i].bgr, exact[i].bgr, cv::NORM_INF), 0) << i;
      }
    }
  }
}

TEST_F(Video, PortraitVideoIsTurnedUpright) {
  const ImageFaces faces = engine_->analyze_file(dir_ / "portrait.mp4");
  EXPECT_EQ(faces.width, 360);  // stored 640x360 with a 90-degree display matrix
  EXPECT_EQ(faces.height, 640);
  ASSERT_EQ(faces.faces.size(), 1u);
  const Face& f = faces.faces[0];
  EXPECT_LE(f.box.x2, 360.5f);
  EXPECT_LE(f.box.y2, 640.5f);
  // Upright: both eyes above the nose, the nose above both mouth corners.
  EXPECT_LT(std::max(f.landmarks[0].y, f.landmarks[1].y), f.landmarks[2].y);
  EXPECT_LT(f.landmarks[2].y, std::min(f.landmarks[3].y, f.landmarks[4].y));
}

TEST_F(Video, HugeFramesAreReducedForDetectionAndBoxesStayInFullResolution) {
  const ImageFaces faces = engine_->analyze_file(dir_ / "uhd8k.mp4");
  EXPECT_EQ(faces.width, 7680);
  EXPECT_EQ(faces.height, 4320);
  ASSERT_EQ(faces.faces.size(), 1u);
  const Face& f = faces.faces[0];
  EXPECT_EQ(people_of(f), std::vector<std::string>{"id03"});
  // The photo fills the frame's height, centred: the face is in the middle third, and large.
  EXPECT_GT(f.box.x1, 2560);
  EXPECT_LT(f.box.x2, 5120);
  EXPECT_GT(f.box.height(), 400);
  // Detection sees a copy made while converting from YUV, at three times the detector's input.
  const std::unique_ptr<FrameSource> source = open_frame_source(dir_ / "uhd8k.mp4", engine_->frame_options());
  const std::optional<Frame> frame = source->next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->image.bgr.size(), cv::Size(1920, 1080));
  ASSERT_EQ(frame->detect_bgr.size(), cv::Size(960, 540));
  cv::Mat half;
  cv::resize(frame->image.bgr, half, frame->detect_bgr.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(cv::norm(half, frame->detect_bgr, cv::NORM_L1) / static_cast<double>(half.total() * 3), 3.0);
}

TEST_F(Video, ScanFindsEveryAppearanceOfThePersonAndNoOneElse) {
  std::vector<fs::path> files;
  for (const auto& [clip, truth] : kTruth) files.push_back(dir_ / clip);
  files.push_back(fstest::shared_data() / "deepface_testset/id01_Angelina_Jolie/img6.jpg");  // photos and videos
  files.push_back(dir_ / "audio.m4a");
  ScanOptions options;
  options.threshold = threshold();
  const ScanResult result = scan_files(EngineConfig{}, queries_.at("id01"), files, options);
  std::size_t expected = 0;
  for (const auto& [clip, truth] : kTruth)
    for (const Appearance& a : truth) expected += a.person == "id01";
  std::size_t videos = 0, photos = 0;
  for (const Match& m : result.matches) {
    if (m.path.extension() == ".jpg") {
      ++photos;
      continue;
    }
    ++videos;
    bool known = false;
    for (const Appearance& a : kTruth.at(m.path.filename().string()))
      known |= a.person == "id01" && std::abs(m.face.time.first_ms - a.start_s * 1000) <= 1000 &&
               std::abs(m.face.time.last_ms - a.end_s * 1000) <= 1000;
    EXPECT_TRUE(known) << m.path << " " << m.face.time.first_ms << "-" << m.face.time.last_ms << " ms";
  }
  EXPECT_EQ(videos, expected);
  EXPECT_EQ(photos, 1u);
  ASSERT_EQ(result.skipped.size(), 1u);
  EXPECT_EQ(result.skipped[0].path.filename(), "audio.m4a");
}

TEST_F(Video, BadVideosAreRefusedWithAReason) {
  EXPECT_NE(error_of("empty.mp4").find("empty"), std::string::npos) << error_of("empty.mp4");
  for (const char* name : {"truncated.mp4", "corrupt.mkv", "audio.m4a"})
    EXPECT_NE(error_of(name).find("unreadable video"), std::string::npos) << name << ": " << error_of(name);
  EngineConfig small;
  small.max_pixels = 100'000;
  EXPECT_NE(error_of("cuts.mp4", &small).find("too large: 640x480"), std::string::npos)
      << error_of("cuts.mp4", &small);
}

TEST_F(Video, ADurationThatLiesEndsWhereTheFramesEnd) {
  // half.mkv's header says 5 s; the file holds about half of it: the frames there are, then the end.
  const ImageFaces faces = engine_->analyze_file(dir_ / "half.mkv");
  EXPECT_GE(faces.frames, 2u);
  EXPECT_LT(faces.frames, 10u);
  ASSERT_EQ(faces.faces.size(), 1u);
  EXPECT_EQ(people_of(faces.faces[0]), std::vector<std::string>{"id03"});
  EXPECT_LE(faces.faces[0].time.last_ms, 4000);
}

// The command line over videos: scan and search print one record per appearance with its times, the library keeps
// them, and an unchanged video is not decoded again.
TEST_F(Video, ScanIndexAndSearchPrintAppearancesWithTheirTimes) {
  const fs::path folder = fstest::scratch_dir("video-cli") / "mixed";
  fs::create_directories(folder);
  for (const char* clip : {"cuts.mp4", "two.avi", "nobody.mp4"}) fs::copy_file(dir_ / clip, folder / clip);
  fs::copy_file(fstest::shared_data() / "deepface_testset/id01_Angelina_Jolie/img6.jpg", folder / "photo.jpg");
  const std::string bin = std::string(FACESEARCH_BINARY_DIR) + "/facesearch";
  const std::string query = (fstest::shared_data() / "deepface_testset" / kQueries.at("id01")).string();
  const std::string library = (folder.parent_path() / "library").string();

  // (file name, t_start, t_end) of every video record; photos have no time fields.
  auto appearances = [](const std::string& out) {
    std::multiset<std::tuple<std::string, double, double>> found;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      const auto j = nlohmann::json::parse(line);
      const std::string name = fs::path(j.at("path").get<std::string>()).filename().string();
      if (name == "photo.jpg") {
        EXPECT_FALSE(j.contains("t_start")) << line;
        continue;
      }
      EXPECT_EQ(j.at("frame_width"), j.at("width")) << line;
      EXPECT_LE(j.at("t_start").get<double>(), j.at("t_best").get<double>()) << line;
      EXPECT_LE(j.at("t_best").get<double>(), j.at("t_end").get<double>()) << line;
      found.insert({name, j.at("t_start").get<double>(), j.at("t_end").get<double>()});
    }
    return found;
  };
  const fstest::CommandRun scan =
      fstest::run_command(bin + " --quiet scan -q '" + query + "' -t '" + folder.string() + "' --json");
  ASSERT_EQ(scan.exit_code, 0) << scan.out;
  const auto scanned = appearances(scan.out);
  // id01: twice in cuts.mp4 (0-3 s, 8-11 s), once in two.avi (0-4 s); nobody.mp4 has no one.
  ASSERT_EQ(scanned.size(), 3u) << scan.out;
  std::vector<std::tuple<std::string, double, double>> truth = {{"cuts.mp4", 0, 3}, {"cuts.mp4", 8, 11}, {"two.avi", 0, 4}};
  auto it = scanned.begin();
  for (const auto& [name, start, end] : truth) {
    EXPECT_EQ(std::get<0>(*it), name);
    EXPECT_NEAR(std::get<1>(*it), start, 1.0) << name;
    EXPECT_NEAR(std::get<2>(*it), end, 1.0) << name;
    ++it;
  }
  const fstest::CommandRun text = fstest::run_command(bin + " --quiet scan -q '" + query + "' -t '" + folder.string() + "'");
  EXPECT_TRUE(std::regex_search(text.out, std::regex(R"(\d\d:\d\d\.\d-\d\d:\d\d\.\d  \S*cuts\.mp4)"))) << text.out;

  const fstest::CommandRun index =
      fstest::run_command(bin + " --library '" + library + "' index '" + folder.string() + "' 2>&1");
  ASSERT_EQ(index.exit_code, 0) << index.out;
  const fstest::CommandRun search =
      fstest::run_command(bin + " --quiet --library '" + library + "' search -q '" + query + "' --json");
  ASSERT_EQ(search.exit_code, 0) << search.out;
  EXPECT_EQ(appearances(search.out), scanned) << search.out;  // the library keeps the appearances and their times

  const fstest::CommandRun again =
      fstest::run_command(bin + " --library '" + library + "' index '" + folder.string() + "' 2>&1");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("4 unchanged"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("0 faces added from 0 images"), std::string::npos) << again.out;
}

// kill -9 while videos are being indexed, again and again, then index to the end: the library equals a clean run's
// (a video is written with all its appearances or not at all).
TEST_F(Video, KillDuringVideoIndexingThenIndexAgainEqualsACleanRun) {
  const fs::path scratch = fstest::scratch_dir("video-kill");
  const fs::path folder = scratch / "videos";
  fs::create_directories(folder);
  for (const auto& [clip, truth] : kTruth) fs::copy_file(dir_ / clip, folder / clip);
  fs::copy_file(fstest::shared_data() / "deepface_testset/id03/img9.jpg", folder / "photo.jpg");
  const std::string query = (fstest::shared_data() / "deepface_testset" / kQueries.at("id01")).string();
  // What a library holds, as the command line shows it: its status counts and every match of a query.
  auto snapshot = [&](const std::string& lib) {
    const std::string bin = std::string(FACESEARCH_BINARY_DIR) + "/facesearch --quiet --library '" + lib + "' ";
    const auto status = nlohmann::json::parse(fstest::run_command(bin + "status --json").out);
    std::multiset<std::string> rows;
    rows.insert("images " + status.at("images").dump() + ", faces " + status.at("faces").dump());
    std::istringstream lines(fstest::run_command(bin + "search -q '" + query + "' --threshold -1 --json").out);
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      j.erase("face_id");
      j.erase("image_id");
      rows.insert(j.dump());
    }
    return rows;
  };
  auto index = [&](const std::string& lib) {
    return fstest::spawn_facesearch({"--quiet", "--library", lib, "index", "--jobs", "1", folder.string()});
  };
  int status = 0;
  const std::string clean = (scratch / "clean").string();
  const auto t0 = std::chrono::steady_clock::now();
  waitpid(index(clean), &status, 0);
  const long clean_ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  ASSERT_TRUE(fstest::exited_ok(status));
  const auto expected = snapshot(clean);
  ASSERT_GE(expected.size(), 10u);

  std::mt19937 rng(20261130);
  std::uniform_int_distribution<long> delay_ms(50, std::max<long>(100, clean_ms * 8 / 10));
  int kills = 0;
  for (int cycle = 0; cycle < 3; ++cycle) {
    const std::string lib = (scratch / ("lib" + std::to_string(cycle))).string();
    for (int round = 0; round < 3; ++round) {
      const pid_t pid = index(lib);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ++kills;
        continue;
      }
      ASSERT_TRUE(fstest::exited_ok(status));
      break;
    }
    waitpid(index(lib), &status, 0);
    ASSERT_TRUE(fstest::exited_ok(status));
    EXPECT_EQ(snapshot(lib), expected) << "cycle " << cycle;
  }
  EXPECT_GE(kills, 3);
}

}  // namespace
