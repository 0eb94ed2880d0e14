// YuNet (libfacedetection, 2023 export: cls/obj/bbox/kps heads per stride) decoded by hand, because
// OpenCV 4.6's cv::FaceDetectorYN only understands the older 2022 outputs.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "detect/detector.hpp"

namespace facesearch {

// params: {"type": "yunet", "input": [640, 640], "score_threshold": 0.6, "nms_iou": 0.3}
// optional "min_reliable_face" (network pixels) overrides the measured default.
// The network is fully convolutional, so "input" may differ from the size the file was exported with.
class YunetDetector : public Detector {
 public:
  YunetDetector(const std::filesystem::path& onnx, const nlohmann::json& params);
  std::vector<Detection> detect(const cv::Mat& bgr) override;
  cv::Size input_size() const override { return input_; }
  float min_reliable_face() const override { return min_face_; }

 private:
  cv::Size input_;  // from params, 640x640 by default
  // dlib's labelled faces, each shrunk to this box size alone: n (320) finds 43/43 and s (640) 42/43 at 16
  // px; at 12 px only 38 and 30 of 43.
  float min_face_ = 16.f;
  float score_threshold_ = 0.6f;
  float nms_iou_ = 0.3f;
  cv::dnn::Net net_;
};

}  // namespace facesearch
