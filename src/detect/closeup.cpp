#include "detect/closeup.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

namespace facesearch {

namespace {

// The crop is the box's longer side times this: the front-camera BlazeFace was trained on selfies, where the
// face fills about half the picture, and a profile box of a frontal-trained detector may sit off the head.
constexpr float kCropScale = 1.8f;
// A face found in the crop must overlap the box this much to be the same face.
constexpr float kMinOverlap = 0.3f;

}  // namespace

std::optional<Landmarks5> closeup_keypoints(Detector& closeup, const cv::Mat& bgr, const Box& box) {
  const float side = std::max(box.width(), box.height()) * kCropScale;
  if (side < 2.f || bgr.empty()) return std::nullopt;
  const float cx = (box.x1 + box.x2) / 2, cy = (box.y1 + box.y2) / 2;
  const cv::Rect want(static_cast<int>(std::floor(cx - side / 2)), static_cast<int>(std::floor(cy - side / 2)),
                      static_cast<int>(std::ceil(side)), static_cast<int>(std::ceil(side)));
  const cv::Rect inside = want & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (inside.empty()) return std::nullopt;
  cv::Mat crop;
  cv::copyMakeBorder(bgr(inside), crop, inside.y - want.y, want.br().y - inside.br().y, inside.x - want.x,
                     want.br().x - inside.br().x, cv::BORDER_CONSTANT, cv::Scalar::all(127));
  const auto dx = static_cast<float>(want.x), dy = static_cast<float>(want.y);
  const Box in_crop = box.shifted(-dx, -dy);
  const Detection* best = nullptr;
  float best_overlap = kMinOverlap;
  const std::vector<Detection> found = closeup.detect(crop);
  for (const Detection& d : found) {
    const float overlap = iou(d.box, in_crop);
    if (d.landmarks && overlap >= best_overlap) {
      best_overlap = overlap;
      best = &d;
    }
  }
  if (!best) return std::nullopt;
  return best->shifted(dx, dy).landmarks;
}

}  // namespace facesearch
