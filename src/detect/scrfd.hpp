// SCRFD (insightface) face detector with 5 keypoints, decoded by hand from its raw per-stride heads.
#pragma once

#include <filesystem>
#include <vector>

#include "detect/letterbox.hpp"

namespace facesearch {

// Registered as "scrfd" (detect/registry.cpp holds its default parameters). Needs the _bnkps export.
class ScrfdDetector : public LetterboxDetector {
 public:
  ScrfdDetector(const std::filesystem::path& onnx, const nlohmann::json& params);

 private:
  std::vector<Detection> decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& letterbox,
                                cv::Size image) const override;
};

}  // namespace facesearch
