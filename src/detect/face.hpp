// The record every stage passes along: where a face is, how sure the detector is, and its 5 landmarks.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

namespace facesearch {

// Axis-aligned box, corners in pixels of the image it was found in.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.f; }
  Box scaled(float s) const { return {x1 * s, y1 * s, x2 * s, y2 * s}; }
  Box shifted(float dx, float dy) const { return {x1 + dx, y1 + dy, x2 + dx, y2 + dy}; }
};

float iou(const Box& a, const Box& b);
// Intersection over the area of `a`: how much of `a` lies inside `b`.
float intersection_over_first(const Box& a, const Box& b);

// Five points in the ArcFace order: left eye, right eye (as seen in the image), nose tip, left and right mouth corner.
using Landmarks5 = std::array<cv::Point2f, 5>;

struct Detection {
  Box box;
  float score = 0;
  std::optional<Landmarks5> landmarks;  // detectors with a keypoint head fill this

  // The same face in another image's pixels: `s` times larger (found in a reduced copy), or moved by (dx, dy)
  // (found in a crop whose corner lies there).
  Detection scaled(float s) const;
  Detection shifted(float dx, float dy) const;
};

// Greedy non-maximum suppression: keeps the best-scoring box of every overlapping group.
std::vector<Detection> nms(std::vector<Detection> dets, float iou_threshold);

}  // namespace facesearch
