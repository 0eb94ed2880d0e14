// SCRFD (insightface) face detector with 5 keypoints, decoded by hand from its raw per-stride heads.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "detect/detector.hpp"

namespace facesearch {

namespace detail {

// The image shrunk (or grown) to fit the network input with its aspect kept, at the top-left corner of a
// black canvas of the input size. Both SCRFD and YuNet see images this way, so boxes map back with one scale
// per axis.
struct Letterbox {
  cv::Mat canvas;        // CV_8UC3, input size
  float sx = 1, sy = 1;  // network pixels per image pixel

  Letterbox(const cv::Mat& bgr, cv::Size input);
  Box to_image(float x1, float y1, float x2, float y2, cv::Size image) const;
  cv::Point2f to_image(float x, float y) const { return {x / sx, y / sy}; }
};

// Network input size from params ("input": [width, height]); both detectors need multiples of their largest
// stride (32) so every feature map covers the canvas exactly.
cv::Size input_from_params(const nlohmann::json& params, cv::Size fallback);

}  // namespace detail

// params: {"type": "scrfd", "input": [640, 640], "score_threshold": 0.5, "nms_iou": 0.4}
// optional "min_reliable_face" (network pixels) overrides the measured default.
class ScrfdDetector : public Detector {
 public:
  ScrfdDetector(const std::filesystem::path& onnx, const nlohmann::json& params);
  std::vector<Detection> detect(const cv::Mat& bgr) override;
  cv::Size input_size() const override { return input_; }
  float min_reliable_face() const override { return min_face_; }

 private:
  cv::Size input_;  // from params, 640x640 by default
  // dlib's labelled faces, each shrunk to this box size alone: 2.5G finds 42/43 at 16 px, 500M 39/43 at 16
  // and 40/43 at 18 px (43/43 at 20); below 14 px both fall off fast. Packs with 500M may raise it.
  float min_face_ = 16.f;
  float score_threshold_ = 0.5f;
  float nms_iou_ = 0.4f;
  cv::dnn::Net net_;
  std::vector<cv::String> outputs_;
};

}  // namespace facesearch
