// The recogniser (embedder) types a pack can name, each with its factory, default parameters, crop template
// and default similarity threshold.
//
// Adding a recogniser touches two places: its own class (embed/<name>.hpp/.cpp, an Embedder constructed from
// its file and the complete parameters) or, for a plain ONNX network, none; and one entry in
// recognizer_types() in embed/registry.cpp. `models add`, manifests, the engine and eval read the rest from here.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/embedder.hpp"

namespace facesearch {

// Where the 5 landmarks must lie in the crop the network was trained on.
enum class CropTemplate { ArcFace, DlibChip };

struct RecognizerType {
  std::string name;     // the manifest's "embedder": {"type": name}
  std::string summary;  // one line for help texts
  // Every parameter the embedder reads, at its default: "input" [s, s] (square crop side), "dim", and the
  // input normalisation: "mean" and "scale" (pixel' = (pixel - mean) / scale), "swap_rb" (feed RGB), or
  // per-channel "mean_rgb". A pack's object overrides any of them.
  nlohmann::json defaults;
  // Cosine similarity above which two faces are taken for one person, when the pack records no "default"
  // threshold (`models add` writes this one unless told otherwise).
  double default_threshold = 0;
  CropTemplate crop = CropTemplate::ArcFace;
  // One ONNX file is the whole recogniser: `models add --recognizer file.onnx` can install it.
  bool single_onnx = true;
  std::function<std::unique_ptr<Embedder>(const std::filesystem::path& file, const nlohmann::json& params)> make;
};

// In registration order.
const std::vector<RecognizerType>& recognizer_types();
// Throws std::runtime_error naming the known types when `name` is not one.
const RecognizerType& recognizer_type(const std::string& name);
// Names of every type, or only of those `models add` can install from one ONNX file.
std::vector<std::string> recognizer_type_names(bool single_onnx_only = false);

}  // namespace facesearch
