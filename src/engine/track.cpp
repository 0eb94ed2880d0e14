#include "engine/track.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "align/face_quality.hpp"
#include "detect/detector.hpp"

namespace facesearch {

bool ShotChangeDetector::changed(const cv::Mat& bgr) {
  cv::Mat small, grey, hist;
  // First by a whole factor (OpenCV's fast area path: a sample's copy is 960x540 and this ran as long as the
  // detector's own shrink), then the rest of the way; each 64x64 pixel still averages its whole area.
  cv::resize(shrink_by_whole_factor(bgr, std::min(bgr.cols, bgr.rows) / 128), small, {64, 64}, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  const int bins = 32;
  const float range[] = {0, 256};
  const float* ranges[] = {range};
  cv::calcHist(&grey, 1, nullptr, cv::Mat(), hist, 1, &bins, ranges);
  hist /= grey.total();
  const bool cut = !previous_.empty() && cv::compareHist(previous_, hist, cv::HISTCMP_BHATTACHARYYA) > 0.35;
  previous_ = hist;
  return cut;
}

namespace {

// A face's pixels as the pixel check and the quality see them (an aligned crop, or the box cut from the frame):
// grey, at a fixed size.
cv::Mat grey_patch(const cv::Mat& face_bgr) {
  cv::Mat small, grey;
  cv::resize(face_bgr, small, {64, 64}, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  return grey;
}

// The face's box in the frame as grey_patch; empty when the box is (nearly) outside the frame.
cv::Mat grey_face(const Frame& frame, const Face& face) {
  const cv::Mat& img = frame.image.bgr;
  const double s = frame.image.scale > 0 ? frame.image.scale : 1.0;
  const cv::Rect box(cv::Point(static_cast<int>(face.box.x1 / s), static_cast<int>(face.box.y1 / s)),
                     cv::Point(static_cast<int>(std::ceil(face.box.x2 / s)), static_cast<int>(std::ceil(face.box.y2 / s))));
  const cv::Rect inside = box & cv::Rect(0, 0, img.cols, img.rows);
  if (inside.width < 8 || inside.height < 8) return {};
  return grey_patch(img(inside));
}

// 1 for a face seen from the front, down to 0.5 for a face in profile: how evenly the nose sits between the eyes
// (landmarks: left eye, right eye, nose, mouth corners). Recognisers are most reliable on frontal views.
double frontality(const Face& face) {
  const auto& lm = face.landmarks;
  const double left = cv::norm(lm[2] - lm[0]), right = cv::norm(lm[2] - lm[1]);
  if (left + right < 1e-3) return 1.0;  // no landmarks
  return 1.0 - 0.5 * std::abs(left - right) / (left + right);
}

float quality_of(const cv::Mat& grey, const Face& face) {
  const double sharpness = laplacian_sharpness(grey);  // 0 for an empty crop
  const double size = std::min(1.0, std::sqrt(static_cast<double>(face.box.area())) / 112.0);
  return static_cast<float>(face.score * size * (sharpness / (sharpness + 100.0)) * frontality(face));
}

// The largest warp warped_correlation accepts: 15% of scale, shear or rotation, and a shift of a tenth of the patch.
constexpr double kMaxWarpLinear = 0.15, kMaxWarpShift = 0.1;

// Zero-mean, unit-norm pixels, so that the dot product of two patches is their correlation.
cv::Mat normalised_patch(const cv::Mat& grey) {
  if (grey.empty()) return {};
  cv::Mat patch;
  grey.convertTo(patch, CV_32F);
  patch -= cv::mean(patch)[0];
  const double norm = cv::norm(patch);
  if (norm < 1e-3) return {};
  return patch / norm;
}

// How well two normalised patches of one face correlate once the second is warped onto the first by the small
// affine map that fits best (OpenCV's ECC, from the identity): the keypoints that align a face in consecutive
// samples move by a pixel or two, scale and rotation included, which alone drops a plain correlation to 0.74. A map
// that strays far from the identity is not a jitter: -1.
float warped_correlation(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() || b.empty()) return -1;
  cv::Mat warp = cv::Mat::eye(2, 3, CV_32F);
  double cc = -1;
  try {
    // Ten steps: the fit has converged by then on patches this close (thirty gave the same scores).
    const cv::TermCriteria stop(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 10, 1e-4);
    cc = cv::findTransformECC(a, b, warp, cv::MOTION_AFFINE, stop, cv::noArray(), 1);
  } catch (const cv::Exception&) {
    return -1;  // no convergence (a flat or very different patch)
  }
  const double linear = std::max({std::abs(warp.at<float>(0, 0) - 1), std::abs(warp.at<float>(1, 1) - 1),
                                  std::abs(warp.at<float>(0, 1)), std::abs(warp.at<float>(1, 0))});
  const double shift = std::hypot(warp.at<float>(0, 2), warp.at<float>(1, 2));
  if (linear > kMaxWarpLinear || shift > kMaxWarpShift * a.cols) return -1;
  return static_cast<float>(cc);
}

}  // namespace

float face_quality(const Frame& frame, const Face& face) { return quality_of(grey_face(frame, face), face); }

cv::Mat face_patch(const cv::Mat& face_bgr) { return normalised_patch(grey_patch(face_bgr)); }

float FaceTracker::affinity(const Track& track, const Face& face) const {
  const float overlap = iou(track.last.box, face.box);
  if (face.embedding.empty() || track.last.embedding.empty()) return overlap >= options_.overlap_iou ? overlap : -1;
  const float sim = dot(track.last.embedding, face.embedding);
  const float bar = overlap >= options_.overlap_iou ? options_.link_similarity / 2 : options_.link_similarity;
  return sim >= bar ? sim + overlap : -1;
}

void FaceTracker::extend(Track& track, Face&& face, float quality, cv::Mat patch) {
  track.last_ms = face.time.last_ms;
  track.last_patch = patch;  // shares the pixels with a Sample below
  const bool own_embedding = !face.embedding.empty();
  if (own_embedding) {
    track.top.push_back({quality, face.embedding, patch});
    std::sort(track.top.begin(), track.top.end(), [](const Sample& a, const Sample& b) { return a.quality > b.quality; });
    if (track.top.size() > static_cast<std::size_t>(std::max(1, options_.best_frames))) track.top.pop_back();
  }
  if (quality > track.best_quality) {
    track.best_quality = quality;
    track.best = face;
  }
  // A face continued by overlap alone links the next sample with the track's latest embedding.
  if (!own_embedding) face.embedding = std::move(track.last.embedding);
  track.last = std::move(face);
}

bool FaceTracker::needs_embedding(const Face& face, float quality, const cv::Mat& patch,
                                  const std::vector<Face>& others) const {
  const Track* only = nullptr;
  for (const Track& t : open_) {
    const float overlap = iou(t.last.box, face.box);
    if (overlap < options_.overlap_iou) continue;
    if (only || overlap < options_.sure_overlap_iou) return true;  // more than one candidate, or unsure
    only = &t;
  }
  if (!only || only->last.embedding.empty()) return true;
  // The warped correlation with a patch of the track, at most once with its last one (which is also a best frame's
  // when that frame was embedded): it costs a tenth of an embedding.
  std::optional<float> warped_last;
  auto warped = [&](const cv::Mat& mine) {
    if (mine.data != only->last_patch.data) return warped_correlation(mine, patch);
    if (!warped_last) warped_last = warped_correlation(mine, patch);
    return *warped_last;
  };
  // Same place is not same person (a cut between two shots framed alike): the pixels must agree closely too.
  if (patch.empty() || only->last_patch.empty() ||
      (patch.dot(only->last_patch) < options_.same_face_correlation &&
       warped(only->last_patch) < options_.same_face_warped_correlation))
    return true;
  for (const Face& other : others)  // another face of this frame could be the continuation too
    if (&other != &face && iou(only->last.box, other.box) >= options_.overlap_iou) return true;
  if (only->top.size() >= static_cast<std::size_t>(std::max(1, options_.best_frames)) &&
      quality <= only->top.back().quality)
    return false;  // not among the track's best frames
  // Among them, but a frame nearly identical to one already embedded would give its embedding again.
  // Plain correlations first.
  for (const Sample& s : only->top)
    if (!s.patch.empty() && patch.dot(s.patch) >= options_.duplicate_correlation) return false;
  for (const Sample& s : only->top)
    if (warped(s.patch) >= options_.duplicate_correlation) return false;
  return true;
}

void FaceTracker::close_stale(std::int64_t now_ms) {
  auto stale = [&](const Track& t) { return now_ms - t.last_ms > options_.max_gap_ms; };
  for (Track& t : open_)
    if (stale(t)) closed_.push_back(std::move(t));
  std::erase_if(open_, stale);  // a moved-from track keeps its last_ms
}

void FaceTracker::add(const Frame& frame, std::vector<Face> faces, bool cut, const EmbedFaces& embed,
                      const std::vector<cv::Mat>& aligned) {
  if (cut) {
    for (Track& t : open_) closed_.push_back(std::move(t));
    open_.clear();
  }
  close_stale(frame.time_ms);
  std::vector<float> quality(faces.size());
  std::vector<cv::Mat> patch(faces.size());
  for (std::size_t f = 0; f < faces.size(); ++f) {
    // The aligned crop, when given, is also cheaper than cutting the box out of the full frame.
    const cv::Mat grey = f < aligned.size() && !aligned[f].empty() ? grey_patch(aligned[f]) : grey_face(frame, faces[f]);
    quality[f] = quality_of(grey, faces[f]);
    patch[f] = normalised_patch(grey);
  }
  auto embed_where = [&](auto&& wanted) {
    if (!embed) return;
    std::vector<std::size_t> which;
    for (std::size_t f = 0; f < faces.size(); ++f)
      if (faces[f].embedding.empty() && wanted(f)) which.push_back(f);
    if (which.empty()) return;
    std::vector<Embedding> got = embed(which);
    for (std::size_t i = 0; i < got.size() && i < which.size(); ++i) faces[which[i]].embedding = std::move(got[i]);
  };
  embed_where([&](std::size_t f) { return needs_embedding(faces[f], quality[f], patch[f], faces); });

  // Greedy matching, most alike pair first: every face joins at most one track and every track takes one face.
  struct Pair {
    float affinity;
    std::size_t track, face;
  };
  std::vector<Pair> pairs;
  for (std::size_t t = 0; t < open_.size(); ++t)
    for (std::size_t f = 0; f < faces.size(); ++f)
      if (const float a = affinity(open_[t], faces[f]); a >= 0) pairs.push_back({a, t, f});
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.affinity > b.affinity; });
  std::vector<bool> track_taken(open_.size()), face_taken(faces.size());
  for (const Pair& p : pairs) {
    if (track_taken[p.track] || face_taken[p.face]) continue;
    track_taken[p.track] = face_taken[p.face] = true;
    extend(open_[p.track], std::move(faces[p.face]), quality[p.face], patch[p.face]);
  }
  // A face that starts a track always has an embedding of its own.
  embed_where([&](std::size_t f) { return !face_taken[f]; });
  for (std::size_t f = 0; f < faces.size(); ++f) {
    if (face_taken[f]) continue;
    Track track;
    track.first_ms = faces[f].time.first_ms;
    extend(track, std::move(faces[f]), quality[f], patch[f]);
    open_.push_back(std::move(track));
  }
}

std::vector<Face> FaceTracker::finish() {
  for (Track& t : open_) closed_.push_back(std::move(t));
  open_.clear();
  std::vector<Face> out;
  out.reserve(closed_.size());
  for (Track& t : closed_) {
    Face face = std::move(t.best);
    face.time = {t.first_ms, t.last_ms, face.time.best_ms};
    if (!t.top.empty()) {
      Embedding mean(t.top.front().embedding.size(), 0.f);
      for (const Sample& s : t.top)
        for (std::size_t i = 0; i < mean.size() && i < s.embedding.size(); ++i) mean[i] += s.embedding[i];
      l2_normalize(mean);
      face.embedding = std::move(mean);
    }
    out.push_back(std::move(face));
  }
  closed_.clear();
  std::sort(out.begin(), out.end(), [](const Face& a, const Face& b) {
    return a.time.first_ms != b.time.first_ms ? a.time.first_ms < b.time.first_ms : a.box.x1 < b.box.x1;
  });
  return out;
}

}  // namespace facesearch
