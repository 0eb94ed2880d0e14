#include "models/local_pack.hpp"

#include <stdexcept>

#include "detect/registry.hpp"
#include "embed/registry.hpp"

namespace fs = std::filesystem;

namespace facesearch {

ModelPack add_local_pack(const LocalPackSpec& spec, const fs::path& root) {
  ModelPack pack;
  pack.id = spec.name;
  pack.license = spec.license;
  std::map<std::string, fs::path> sources = {{"detector", spec.detector}, {"embedder", spec.recognizer}};
  try {
    const DetectorType& detector = detector_type(spec.detector_type);
    const RecognizerType& recognizer = recognizer_type(spec.recognizer_type);
    if (!recognizer.single_onnx)
      throw std::invalid_argument("a " + recognizer.name + " recogniser is not one ONNX file and cannot be added");
    pack.description = "added from local files: " + detector.name + " detector, " + recognizer.name + " recogniser";
    pack.detector = {{"type", detector.name}};
    if (spec.detector_input.size() == 2) pack.detector["input"] = spec.detector_input;
    pack.embedder = embedder_defaults(recognizer.name);
    if (!spec.landmarker.empty()) {
      pack.landmarker = {{"type", landmarker_type(spec.landmarker_type).name}};
      sources["landmarker"] = spec.landmarker;
    } else if (!detector.keypoints) {
      throw std::invalid_argument("a " + detector.name + " detector has no keypoints: give --landmarker too");
    }
    pack.thresholds["default"] = spec.threshold.value_or(recognizer.default_threshold);
    if (!spec.runtime.empty()) {  // as ModelPack::from_json does, so the probe loads below use it too
      pack.runtime = spec.runtime;
      for (nlohmann::json* network : {&pack.detector, &pack.landmarker, &pack.embedder})
        if (!network->empty()) (*network)["runtime"] = spec.runtime;
    }
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());  // an unknown type name is a bad request
  }
  // The recogniser's real output size becomes the pack's dimension.
  try {
    make_detector(pack.detector, spec.detector);
    if (!spec.landmarker.empty()) make_landmarker(pack.landmarker, spec.landmarker);
    pack.embedder["dim"] = probe_embedding_dim(pack.embedder, spec.recognizer);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("cannot use these files as a pack: ") + e.what());
  }
  return add_pack_from_files(pack, sources, root, spec.replace);
}

}  // namespace facesearch
