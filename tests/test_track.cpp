// Face tracks (engine/track.hpp) on made-up faces: unit tier, no models, no shared data.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "engine/track.hpp"

using namespace facesearch;

namespace {

// A unit embedding mostly along `axis`, tilted a little by `tilt` (same person, another frame).
Embedding person(int axis, float tilt = 0) {
  Embedding e(8, 0.f);
  e[static_cast<std::size_t>(axis)] = 1.f;
  e[7] = tilt;
  l2_normalize(e);
  return e;
}

Face face(float x, std::int64_t t, const Embedding& embedding, float score = 0.9f) {
  Face f;
  f.box = {x, 100, x + 100, 220};
  f.score = score;
  f.embedding = embedding;
  f.time = {t, t, t};
  return f;
}

// A textured frame so sharpness is measurable; `blur` softens it.
Frame frame(std::int64_t t, bool blur = false) {
  Frame fr;
  cv::Mat img(480, 640, CV_8UC3);
  cv::randu(img, 0, 255);
  if (blur) cv::GaussianBlur(img, img, {0, 0}, 6);
  fr.image.bgr = img;
  fr.image.width = 640;
  fr.image.height = 480;
  fr.time_ms = t;
  return fr;
}

TrackOptions options() {
  TrackOptions o;
  o.link_similarity = 0.34f;
  o.max_gap_ms = 1750;  // 2 fps: up to two missed samples (a gap of 1.5 s)
  return o;
}

TEST(Track, MissedSamplesDoNotSplitAnAppearanceButALongAbsenceDoes) {
  FaceTracker tracker(options());
  const std::vector<std::int64_t> seen = {0, 500, 1000, 2500, 3000, 5000, 5500};  // gaps of 1.5 s, then 2 s
  for (std::int64_t t = 0; t <= 5500; t += 500) {
    std::vector<Face> faces;
    if (std::find(seen.begin(), seen.end(), t) != seen.end()) faces.push_back(face(200 + t / 100.f, t, person(0)));
    tracker.add(frame(t), std::move(faces), false);
  }
  const std::vector<Face> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].time.first_ms, 0);
  EXPECT_EQ(tracks[0].time.last_ms, 3000);
  EXPECT_EQ(tracks[1].time.first_ms, 5000);
  EXPECT_EQ(tracks[1].time.last_ms, 5500);
}

TEST(Track, ACutEndsEveryTrackEvenOfTheSamePerson) {
  FaceTracker tracker(options());
  tracker.add(frame(0), {face(200, 0, person(0))}, false);
  tracker.add(frame(500), {face(200, 500, person(0))}, false);
  tracker.add(frame(1000), {face(200, 1000, person(0))}, true);
  EXPECT_EQ(tracker.finish().size(), 2u);
}

TEST(Track, TwoPeopleSideBySideStayApartEvenWhenTheyCross) {
  FaceTracker tracker(options());
  for (std::int64_t t = 0; t <= 2000; t += 500) {
    const float shift = static_cast<float>(t) / 5;  // 0..400: they swap places
    tracker.add(frame(t), {face(100 + shift, t, person(1, 0.2f)), face(500 - shift, t, person(2, -0.2f))}, false);
  }
  const std::vector<Face> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 2u);
  for (const Face& f : tracks) {
    EXPECT_EQ(f.time.first_ms, 0);
    EXPECT_EQ(f.time.last_ms, 2000);
    EXPECT_GT(std::max(dot(f.embedding, person(1)), dot(f.embedding, person(2))), 0.95f);
  }
  EXPECT_LT(dot(tracks[0].embedding, tracks[1].embedding), 0.2f);
}

TEST(Track, TheTrackIsItsBestFrameWithTheMeanOfItsBestEmbeddings) {
  FaceTracker tracker(options());
  tracker.add(frame(0, /*blur=*/true), {face(200, 0, person(3, 0.3f), 0.95f)}, false);
  tracker.add(frame(500), {face(210, 500, person(3, -0.3f), 0.9f)}, false);
  tracker.add(frame(1000, true), {face(220, 1000, person(3, 0.3f), 0.95f)}, false);
  const std::vector<Face> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  const Face& f = tracks[0];
  EXPECT_EQ(f.time, (FaceTime{0, 1000, 500}));  // the sharp frame wins over higher scores on blurred ones
  EXPECT_FLOAT_EQ(f.box.x1, 210);
  float norm = 0;
  for (float v : f.embedding) norm += v * v;
  EXPECT_NEAR(norm, 1.f, 1e-5f);
  EXPECT_GT(dot(f.embedding, person(3)), dot(person(3, 0.3f), person(3)));  // the tilts average out
}

TEST(Track, WithoutEmbeddingsBoxesThatOverlapAreLinked) {
  FaceTracker tracker(options());
  tracker.add(frame(0), {face(200, 0, {})}, false);
  tracker.add(frame(500), {face(210, 500, {}), face(500, 500, {})}, false);
  const std::vector<Face> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].time.first_ms, 0);
  EXPECT_EQ(tracks[0].time.last_ms, 500);
  EXPECT_TRUE(tracks[0].embedding.empty());
}

TEST(Track, ShotChangesAreCutsNotPansOrZooms) {
  cv::Mat scene(480, 640, CV_8UC3);
  cv::randu(scene, 0, 200);
  cv::GaussianBlur(scene, scene, {0, 0}, 8);
  ShotChangeDetector shots;
  EXPECT_FALSE(shots.changed(scene));
  cv::Mat panned, zoomed;
  cv::warpAffine(scene, panned, cv::Mat_<double>({2, 3}, {1, 0, 60, 0, 1, 0}), scene.size(), cv::INTER_LINEAR,
                 cv::BORDER_REFLECT);
  EXPECT_FALSE(shots.changed(panned));
  cv::resize(scene(cv::Rect(80, 60, 480, 360)), zoomed, scene.size());
  EXPECT_FALSE(shots.changed(zoomed));
  cv::Mat other(480, 640, CV_8UC3, cv::Scalar(230, 240, 250));
  EXPECT_TRUE(shots.changed(other));
  EXPECT_FALSE(shots.changed(other));
}

}  // namespace

// The same still picture at every call with the same seed: a face that does not move or change.
Frame still_frame(std::int64_t t, std::uint64_t seed) {
  Frame fr = frame(t);
  cv::RNG rng(seed);
  rng.fill(fr.image.bgr, cv::RNG::UNIFORM, 0, 255);
  return fr;
}

// A still face needs one embedding: its later samples would give the same one again. A new face at the same
// place (a cut between two shots framed alike that the histogram did not see) is embedded and starts its own track.
TEST(Track, AStillFaceIsEmbeddedOnceAndANewFaceAlways) {
  FaceTracker tracker(options());
  std::size_t asked = 0, faces = 0;
  for (std::int64_t t = 0; t <= 4500; t += 500) {
    const bool second = t >= 3000;
    const EmbedFaces embed = [&](const std::vector<std::size_t>& some) {
      asked += some.size();
      return std::vector<Embedding>(some.size(), person(second ? 1 : 0));
    };
    Face f = face(200, t, {});
    ++faces;
    tracker.add(still_frame(t, second ? 2 : 1), {f}, false, embed);
  }
  const std::vector<Face> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].time.last_ms, 2500);
  EXPECT_EQ(tracks[1].time.first_ms, 3000);
  EXPECT_NEAR(dot(tracks[0].embedding, person(0)), 1.f, 1e-5);
  EXPECT_NEAR(dot(tracks[1].embedding, person(1)), 1.f, 1e-5);
  // One for the first face; the second face is embedded at 3.0 s, and again at 3.5 and 4.0 s while the first
  // face's track, last seen at the same place at 2.5 s, could still claim it (it ends after 1.75 s).
  EXPECT_EQ(asked, 4u) << "of " << faces << " faces";
}

// An aligned crop: a fixed random face pattern with fresh noise, so that two crops of one face correlate about
// `correlation` (a face that moves a little between samples), and crops of different faces about 0.
cv::Mat aligned_crop(std::uint64_t face_seed, std::uint64_t sample_seed, double correlation) {
  cv::Mat pattern(112, 112, CV_32FC3), noise(112, 112, CV_32FC3);
  cv::RNG(face_seed).fill(pattern, cv::RNG::NORMAL, 128, 40);
  cv::RNG(sample_seed).fill(noise, cv::RNG::NORMAL, 0, 40 * std::sqrt(1 / correlation - 1));
  cv::Mat crop;
  cv::Mat(pattern + noise).convertTo(crop, CV_8UC3);
  return crop;
}

// With aligned crops, a face that changes between samples (pixels correlating 0.95: still the same face, no
// longer a still one) is embedded while its frames are among the track's three best, and only then; a different
// face at the same place is told apart by its crop although the frame around it is the same.
TEST(Track, AMovingFaceIsEmbeddedForItsBestFramesAndADifferentCropStartsATrack) {
  for (const bool improving : {true, false}) {
    FaceTracker tracker(options());
    std::size_t asked = 0;
    for (std::int64_t t = 0; t <= 4500; t += 500) {
      const bool second = t >= 3000;
      const EmbedFaces embed = [&](const std::vector<std::size_t>& some) {
        asked += some.size();
        return std::vector<Embedding>(some.size(), person(second ? 1 : 0));
      };
      // The detector score rises (every sample beats the earlier ones) or falls (none beats the first three).
      const float score = improving ? 0.5f + 0.04f * static_cast<float>(t / 500) : 0.9f - 0.04f * static_cast<float>(t / 500);
      const cv::Mat crop = aligned_crop(second ? 2 : 1, 100 + static_cast<std::uint64_t>(t), 0.95);
      tracker.add(still_frame(t, 1), {face(200, t, {}, score)}, false, embed, {crop});
    }
    const std::vector<Face> tracks = tracker.finish();
    ASSERT_EQ(tracks.size(), 2u) << improving;
    EXPECT_EQ(tracks[0].time.last_ms, 2500);
    EXPECT_NEAR(dot(tracks[1].embedding, person(1)), 1.f, 1e-5);
    // The first face's six samples: all when each beats the earlier ones, else its first three. The second face's
    // four: the first three in both cases (while the first face's track could still claim the place, see above),
    // and the last only when it beats them.
    EXPECT_EQ(asked, improving ? 10u : 6u) << improving;
  }
}

// Among equally sharp, large and confident frames, the one facing the camera is the best frame.
TEST(Track, TheFrontalFrameIsPreferredAsTheBestFrame) {
  FaceTracker tracker(options());
  auto looking = [](Face f, float nose_x) {  // eyes at 230 and 270; the nose between them or beside one
    f.landmarks = {cv::Point2f(230, 140), cv::Point2f(270, 140), cv::Point2f(nose_x, 165), cv::Point2f(235, 190),
                   cv::Point2f(265, 190)};
    return f;
  };
  tracker.add(still_frame(0, 7), {looking(face(200, 0, person(2)), 232)}, false);
  tracker.add(still_frame(500, 7), {looking(face(200, 500, person(2)), 250)}, false);
  tracker.add(still_frame(1000, 7), {looking(face(200, 1000, person(2)), 266)}, false);
  const std::vector<Face> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].time.best_ms, 500);
}
