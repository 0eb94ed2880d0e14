// The detector and landmarker types a pack can name, each with its factory and default parameters (the model
// is FAISS's index_factory: a type name in a manifest picks the code).
//
// Adding a detector touches two places: its own files (detect/<name>.hpp/.cpp: a Detector built from the ONNX
// file and the complete parameters, and its factory) and one entry in detector_types() in detect/registry.cpp. Nothing else
// (models add, manifests, the engine, eval) names detector types.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "detect/detector.hpp"

namespace facesearch {

struct DetectorType {
  std::string name;     // the manifest's "detector": {"type": name}
  std::string summary;  // one line for help texts
  // Finds the 5 landmarks itself; a detector without them needs a landmarker in its pack.
  bool keypoints = false;
  // Every parameter the detector reads, at its default: "input" [w, h], "score_threshold", "nms_iou", the blob's
  // "mean", "scale" (pixel' = (pixel - mean) / scale) and "swap_rb" (feed RGB), and for some "min_reliable_face".
  // A pack's object overrides any of them.
  nlohmann::json defaults;
  std::function<std::unique_ptr<Detector>(const std::filesystem::path& onnx, const nlohmann::json& params)> make;

  cv::Size input() const;  // the default network input
};

struct LandmarkerType {
  std::string name;
  std::string summary;
  nlohmann::json defaults;  // "input" [w, h]
  std::function<std::unique_ptr<Landmarker>(const std::filesystem::path& onnx, const nlohmann::json& params)> make;
};

// In registration order.
const std::vector<DetectorType>& detector_types();
const std::vector<LandmarkerType>& landmarker_types();
// Throws std::runtime_error naming the known types when `name` is not one.
const DetectorType& detector_type(const std::string& name);
const LandmarkerType& landmarker_type(const std::string& name);
std::vector<std::string> detector_type_names();

// The type's defaults overridden by a pack's object; "type" included.
nlohmann::json detector_params(const nlohmann::json& pack_params);

// Helpers of the stage registries (this one and embed/registry.cpp).
namespace registry {

// The factory of a stage class constructed from its model file and complete parameters.
template <typename Stage>
auto construct() {
  return [](const std::filesystem::path& file, const nlohmann::json& params) {
    return std::make_unique<Stage>(file, params);
  };
}

// The entry named `name`; std::runtime_error "unknown <what> type '<name>' (known: ...)" otherwise.
template <typename Type>
const Type& find(const std::vector<Type>& types, const std::string& name, const char* what) {
  for (const Type& t : types)
    if (t.name == name) return t;
  std::string known;
  for (const Type& t : types) known += (known.empty() ? "" : ", ") + t.name;
  throw std::runtime_error("unknown " + std::string(what) + " type '" + name + "' (known: " + known + ")");
}

}  // namespace registry

}  // namespace facesearch
