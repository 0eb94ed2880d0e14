// SCRFD (insightface) face detector with 5 keypoints, decoded by hand from its raw per-stride heads.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "detect/detector.hpp"

namespace facesearch {

// Registered as "scrfd" (detect/registry.cpp holds its default parameters). Needs the _bnkps export.
std::unique_ptr<Detector> make_scrfd_detector(const std::filesystem::path& onnx, const nlohmann::json& params);

}  // namespace facesearch
