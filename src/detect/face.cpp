#include "detect/face.hpp"

#include <algorithm>

namespace facesearch {

static float intersection(const Box& a, const Box& b) {
  float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  float h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  return w > 0 && h > 0 ? w * h : 0.f;
}

float iou(const Box& a, const Box& b) {
  float inter = intersection(a, b);
  float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

float intersection_over_first(const Box& a, const Box& b) {
  float area = a.area();
  return area > 0 ? intersection(a, b) / area : 0.f;
}

Detection Detection::scaled(float s) const {
  Detection d = *this;
  d.box = box.scaled(s);
  if (d.landmarks)
    for (cv::Point2f& p : *d.landmarks) p *= s;
  return d;
}

Detection Detection::shifted(float dx, float dy) const {
  Detection d = *this;
  d.box = box.shifted(dx, dy);
  if (d.landmarks)
    for (cv::Point2f& p : *d.landmarks) p += cv::Point2f(dx, dy);
  return d;
}

std::vector<Detection> nms(std::vector<Detection> dets, float iou_threshold) {
  std::stable_sort(dets.begin(), dets.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (auto& d : dets) {
    bool overlaps = std::any_of(kept.begin(), kept.end(),
                                [&](const Detection& k) { return iou(k.box, d.box) > iou_threshold; });
    if (!overlaps) kept.push_back(std::move(d));
  }
  return kept;
}

}  // namespace facesearch
