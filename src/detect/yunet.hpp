// YuNet (libfacedetection, 2023 export: cls/obj/bbox/kps heads per stride) decoded by hand, because
// OpenCV 4.6's cv::FaceDetectorYN only understands the older 2022 outputs.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "detect/detector.hpp"

namespace facesearch {

// Registered as "yunet" (detect/registry.cpp holds its default parameters). The network is fully
// convolutional, so "input" may differ from the size the file was exported with.
std::unique_ptr<Detector> make_yunet_detector(const std::filesystem::path& onnx, const nlohmann::json& params);

}  // namespace facesearch
