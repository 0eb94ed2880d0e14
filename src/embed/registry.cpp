#include "embed/registry.hpp"

#include "detect/registry.hpp"
#include "embed/dlib_resnet.hpp"

namespace facesearch {

namespace {

nlohmann::json onnx_defaults(int dim, double mean, double scale) {
  return {{"input", {112, 112}}, {"dim", dim}, {"mean", mean}, {"scale", scale}, {"swap_rb", true}};
}

}  // namespace

// One entry per recogniser type: this is the registration a new recogniser adds.
const std::vector<RecognizerType>& recognizer_types() {
  static const std::vector<RecognizerType> types = {
      // Threshold: measured on LFW for the default pack (eval lfw, FAR ~1e-3).
      {"mobilefacenet", "MobileFaceNet-style network of the default pack, (x - 127) / 128, 512-d",
       onnx_defaults(512, 127.0, 128.0), 0.34, CropTemplate::ArcFace, true, registry::construct<OnnxEmbedder>()},
      // Threshold: conservative for insightface's w600k models, not measured here (run eval lfw).
      {"arcface", "insightface ArcFace (w600k_r50, w600k_mbf), (x - 127.5) / 127.5, 512-d",
       onnx_defaults(512, 127.5, 127.5), 0.3, CropTemplate::ArcFace, true, registry::construct<OnnxEmbedder>()},
      // Threshold: the cosine threshold OpenCV's SFace sample recommends.
      {"sface", "OpenCV zoo SFace, raw 0..255 RGB, 128-d", onnx_defaults(128, 0.0, 1.0), 0.363,
       CropTemplate::ArcFace, true, registry::construct<OnnxEmbedder>()},
      // Threshold: measured on LFW for the dlib pack. TF.js weights plus their manifest: not one ONNX file.
      {"dlib_resnet", "dlib ResNet (TF.js export of face-api.js) on dlib's 150 px chip, 128-d",
       {{"input", {150, 150}}, {"dim", 128}, {"mean_rgb", {122.782, 117.001, 104.298}}, {"scale", 256.0},
        {"padding", 0.25}},
       0.93, CropTemplate::DlibChip, false, registry::construct<DlibResNetEmbedder>()},
  };
  return types;
}

const RecognizerType& recognizer_type(const std::string& name) {
  return registry::find(recognizer_types(), name, "embedder");
}

std::vector<std::string> recognizer_type_names(bool single_onnx_only) {
  std::vector<std::string> names;
  for (const RecognizerType& t : recognizer_types())
    if (t.single_onnx || !single_onnx_only) names.push_back(t.name);
  return names;
}

nlohmann::json embedder_defaults(const std::string& type) {
  nlohmann::json params = recognizer_type(type).defaults;
  params["type"] = type;
  return params;
}

std::unique_ptr<Embedder> make_embedder(const nlohmann::json& params, const std::filesystem::path& file) {
  const std::string type = params.value("type", "");
  nlohmann::json full = embedder_defaults(type);
  full.update(params);
  return recognizer_type(type).make(file, full);
}

}  // namespace facesearch
