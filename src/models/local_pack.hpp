// `facesearch models add`: a pack built from local model files, described by stage type names that the
// registries (detect/registry.hpp, embed/registry.hpp) know.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "models/model_pack.hpp"

namespace facesearch {

struct LocalPackSpec {
  std::string name;  // the new pack's id
  std::filesystem::path detector;
  std::string detector_type;
  std::vector<int> detector_input;  // W, H; empty: the type's default
  std::filesystem::path landmarker;  // required when the detector type finds no keypoints
  std::string landmarker_type = "pfld68";
  std::filesystem::path recognizer;  // one ONNX file
  std::string recognizer_type;
  std::optional<double> threshold;  // empty: the recogniser type's default threshold
  std::string license = "unknown (added from local files)";
  std::string runtime;  // "onnxruntime" / "opencv": the pack's networks run only there; empty: the build's default
  bool replace = false;  // overwrite an installed pack of that name
};

// Checks the types against the registries, loads every network once (so a wrong or broken file is refused now,
// not at the first scan), takes the recogniser's real output size as the pack's dimension, then installs the
// files under root/<name> (add_pack_from_files). Throws std::invalid_argument for a request that cannot make a
// pack (unknown type, no landmarker for a detector without keypoints, unusable files) and std::runtime_error
// when installing fails; nothing is installed then.
ModelPack add_local_pack(const LocalPackSpec& spec, const std::filesystem::path& root);

}  // namespace facesearch
