// YuNet (libfacedetection, 2023 export: cls/obj/bbox/kps heads per stride) decoded by hand, because
// OpenCV 4.6's cv::FaceDetectorYN only understands the older 2022 outputs.
#pragma once

#include <filesystem>
#include <vector>

#include "detect/letterbox.hpp"

namespace facesearch {

// Registered as "yunet" (detect/registry.cpp holds its default parameters). The network is fully
// convolutional, so "input" may differ from the size the file was exported with.
class YunetDetector : public LetterboxDetector {
 public:
  YunetDetector(const std::filesystem::path& onnx, const nlohmann::json& params);

 private:
  std::vector<Detection> decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& letterbox,
                                cv::Size image) const override;
};

}  // namespace facesearch
