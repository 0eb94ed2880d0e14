#include "detect/registry.hpp"

#include "detect/blazeface.hpp"
#include "detect/scrfd.hpp"
#include "detect/yunet.hpp"

namespace facesearch {

namespace {

std::vector<std::string> names_of(const std::vector<DetectorType>& types) {
  std::vector<std::string> names;
  for (const DetectorType& t : types) names.push_back(t.name);
  return names;
}

}  // namespace

// One entry per detector type: this is the registration a new detector adds.
const std::vector<DetectorType>& detector_types() {
  static const std::vector<DetectorType> types = {
      {"ultralight", "Ultra-Light-Fast-Generic-Face-Detector RFB-320, boxes only (needs a landmarker)",
       /*keypoints=*/false,
       {{"input", {320, 240}}, {"score_threshold", 0.65}, {"nms_iou", 0.4},
        {"mean", 127.0}, {"scale", 128.0}, {"swap_rb", true}},
       registry::construct<UltraLightDetector>()},
      // pad_when_empty: SCRFD finds no face in ~99% of CFP's frontal crops, where the face fills the image.
      // min_reliable_face: dlib's labelled faces, each shrunk to this box size alone: 2.5G finds 42/43 at 16 px,
      // 500M 39/43 at 16 and 40/43 at 18 px (43/43 at 20); below 14 px both fall off fast. Packs with 500M
      // raise it.
      {"scrfd", "insightface SCRFD with 5 keypoints (the _bnkps exports)", /*keypoints=*/true,
       {{"input", {640, 640}}, {"score_threshold", 0.5}, {"nms_iou", 0.4}, {"min_reliable_face", 16.0},
        {"mean", 127.5}, {"scale", 128.0}, {"swap_rb", true}, {"pad_when_empty", true}},
       &make_scrfd_detector},
      // min_reliable_face: n (320) finds 43/43 and s (640) 42/43 of dlib's faces at 16 px; at 12 px only 38
      // and 30. YuNet takes BGR 0-255 without a mean.
      {"yunet", "libfacedetection YuNet 2023 export with 5 keypoints", /*keypoints=*/true,
       {{"input", {640, 640}}, {"score_threshold", 0.6}, {"nms_iou", 0.3}, {"min_reliable_face", 16.0},
        {"mean", 0.0}, {"scale", 1.0}, {"swap_rb", false}},
       &make_yunet_detector},
      // The file is a TF.js graph model.json (weight shards beside it). BlazeFace takes RGB in [-1, 1]; the
      // back-camera model sees 256x256 and finds faces from ~16 network pixels, the front one 128x128.
      {"blazeface", "MediaPipe BlazeFace (TF.js graph model) with eyes, nose, mouth centre and ears",
       /*keypoints=*/true,
       {{"input", {256, 256}}, {"score_threshold", 0.5}, {"nms_iou", 0.3}, {"min_reliable_face", 16.0},
        {"mean", 127.5}, {"scale", 127.5}, {"swap_rb", true}},
       &make_blazeface_detector},
  };
  return types;
}

const std::vector<LandmarkerType>& landmarker_types() {
  static const std::vector<LandmarkerType> types = {
      {"pfld68", "68-point iBUG landmark regressor on a 64x64 grey crop", {{"input", {64, 64}}},
       registry::construct<Landmark68Landmarker>()},
  };
  return types;
}

cv::Size DetectorType::input() const {
  return {defaults.at("input")[0].get<int>(), defaults.at("input")[1].get<int>()};
}

const DetectorType& detector_type(const std::string& name) {
  return registry::find(detector_types(), name, "detector");
}
const LandmarkerType& landmarker_type(const std::string& name) {
  return registry::find(landmarker_types(), name, "landmarker");
}
std::vector<std::string> detector_type_names() { return names_of(detector_types()); }

nlohmann::json detector_params(const nlohmann::json& pack_params) {
  const std::string name = pack_params.value("type", "");
  nlohmann::json params = detector_type(name).defaults;
  params.update(pack_params);
  return params;
}

std::unique_ptr<Detector> make_detector(const nlohmann::json& params, const std::filesystem::path& onnx) {
  return detector_type(params.value("type", "")).make(onnx, detector_params(params));
}

std::unique_ptr<Landmarker> make_landmarker(const nlohmann::json& params, const std::filesystem::path& onnx) {
  const LandmarkerType& type = landmarker_type(params.value("type", ""));
  nlohmann::json full = type.defaults;
  full.update(params);
  return type.make(onnx, full);
}

}  // namespace facesearch
