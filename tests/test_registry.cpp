// The stage registries (detectors, landmarkers, recognisers) and what reads them: pack defaults and the checks
// of `models add`. Unit tier: no model file is loaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "detect/registry.hpp"
#include "embed/registry.hpp"
#include "models/local_pack.hpp"
#include "models/model_pack.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The message of the exception `f` throws as E, or a failure.
template <typename E, typename F>
std::string message_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

}  // namespace

TEST(DetectorRegistry, KnowsTheBuiltinTypesAndTheirDefaults) {
  EXPECT_EQ(detector_type_names(), (std::vector<std::string>{"ultralight", "scrfd", "yunet", "blazeface"}));
  EXPECT_FALSE(detector_type("ultralight").keypoints);
  EXPECT_TRUE(detector_type("blazeface").keypoints);
  EXPECT_EQ(detector_type("blazeface").input(), cv::Size(256, 256));
  // SCRFD misses faces that fill the image: find_faces retries those images inside a border.
  EXPECT_TRUE(detector_type("scrfd").defaults.value("pad_when_empty", false));
  EXPECT_TRUE(detector_type("scrfd").keypoints);
  EXPECT_TRUE(detector_type("yunet").keypoints);
  EXPECT_EQ(detector_type("ultralight").input(), cv::Size(320, 240));
  EXPECT_EQ(detector_type("scrfd").input(), cv::Size(640, 640));
  // Every detector states its whole input normalisation.
  for (const DetectorType& t : detector_types())
    for (const char* key : {"input", "score_threshold", "nms_iou", "mean", "scale", "swap_rb"})
      EXPECT_TRUE(t.defaults.contains(key)) << t.name << " lacks " << key;
  EXPECT_FALSE(detector_type("yunet").defaults["swap_rb"].get<bool>());  // YuNet takes BGR
  EXPECT_EQ(landmarker_type("pfld68").defaults["input"], nlohmann::json({64, 64}));
}

TEST(DetectorRegistry, PackParametersOverrideTheDefaults) {
  const nlohmann::json params = detector_params({{"type", "scrfd"}, {"min_reliable_face", 18}});
  EXPECT_EQ(params["type"], "scrfd");
  EXPECT_EQ(params["min_reliable_face"].get<float>(), 18.f);
  EXPECT_EQ(params["input"], nlohmann::json({640, 640}));  // the default stays where not overridden
  EXPECT_EQ(params["nms_iou"].get<double>(), 0.4);
}

TEST(DetectorRegistry, UnknownTypesAreRefusedByNameBeforeAnyFileIsRead) {
  const std::string msg = message_of<std::runtime_error>([] { detector_type("retinaface"); });
  EXPECT_NE(msg.find("unknown detector type 'retinaface'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("scrfd"), std::string::npos) << msg;  // it lists the known ones
  EXPECT_THROW(make_detector({{"type", "retinaface"}}, "/nonexistent.onnx"), std::runtime_error);
  EXPECT_THROW(make_detector(nlohmann::json::object(), "/nonexistent.onnx"), std::runtime_error);
  EXPECT_THROW(make_landmarker({{"type", "dlib68"}}, "/nonexistent.onnx"), std::runtime_error);
}

TEST(RecognizerRegistry, DefaultsThresholdsAndTemplates) {
  EXPECT_EQ(recognizer_type_names(), (std::vector<std::string>{"mobilefacenet", "arcface", "sface", "dlib_resnet"}));
  // dlib's recogniser is a TF.js weights file plus its manifest: `models add` cannot take it.
  EXPECT_FALSE(contains(recognizer_type_names(/*single_onnx_only=*/true), "dlib_resnet"));
  EXPECT_TRUE(contains(recognizer_type_names(true), "arcface"));

  const nlohmann::json sface = embedder_defaults("sface");
  EXPECT_EQ(sface["type"], "sface");
  EXPECT_EQ(sface["dim"], 128);
  EXPECT_EQ(sface["mean"].get<double>(), 0.0);
  EXPECT_EQ(sface["scale"].get<double>(), 1.0);
  EXPECT_EQ(embedder_defaults("arcface")["mean"].get<double>(), 127.5);
  EXPECT_EQ(embedder_defaults("mobilefacenet")["input"], nlohmann::json({112, 112}));
  EXPECT_EQ(embedder_defaults("dlib_resnet")["input"], nlohmann::json({150, 150}));

  EXPECT_DOUBLE_EQ(recognizer_type("mobilefacenet").default_threshold, 0.34);
  EXPECT_DOUBLE_EQ(recognizer_type("sface").default_threshold, 0.363);
  EXPECT_DOUBLE_EQ(recognizer_type("arcface").default_threshold, 0.3);
  EXPECT_EQ(recognizer_type("arcface").crop, CropTemplate::ArcFace);
  EXPECT_EQ(recognizer_type("dlib_resnet").crop, CropTemplate::DlibChip);
}

TEST(RecognizerRegistry, UnknownTypesAreRefusedByName) {
  const std::string msg = message_of<std::runtime_error>([] { embedder_defaults("facenet"); });
  EXPECT_NE(msg.find("unknown embedder type 'facenet'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sface"), std::string::npos) << msg;
  EXPECT_THROW(make_embedder({{"type", "facenet"}}, "/nonexistent.onnx"), std::runtime_error);
}

TEST(PackDefaults, EveryBuiltinPackNamesRegisteredTypes) {
  for (const ModelPack& p : builtin_packs()) {
    const std::string detector = p.detector.value("type", "");
    EXPECT_NO_THROW(detector_type(detector)) << p.id;
    if (!detector_type(detector).keypoints) {
      EXPECT_NO_THROW(landmarker_type(p.landmarker.value("type", ""))) << p.id;
    }
    EXPECT_NO_THROW(recognizer_type(p.embedder.value("type", ""))) << p.id;
    if (!p.keypoints.empty()) {  // a close-up keypoint stage must be a detector with keypoints, with its file
      EXPECT_TRUE(detector_type(p.keypoints.value("type", "")).keypoints) << p.id;
      EXPECT_TRUE(p.files.count("keypoints")) << p.id;
      EXPECT_EQ(ModelPack::from_json(p.to_json()).keypoints, p.keypoints) << p.id;
    }
    EXPECT_EQ(p.embedding_dim(), embedder_defaults(p.embedder["type"])["dim"].get<int>()) << p.id;
  }
}

TEST(PackDefaults, ThresholdAndDimensionFallBackToTheRecognizerType) {
  ModelPack pack;
  pack.id = "bare";
  pack.embedder = {{"type", "sface"}};
  EXPECT_DOUBLE_EQ(pack.default_threshold(), 0.363);
  EXPECT_EQ(pack.embedding_dim(), 128);
  pack.thresholds["default"] = 0.5;
  pack.embedder["dim"] = 64;
  EXPECT_DOUBLE_EQ(pack.default_threshold(), 0.5);
  EXPECT_EQ(pack.embedding_dim(), 64);
}

// A manifest's "runtime" runs each of its networks there, unless a network's own object names another; packs
// that name none leave the choice to the build (infer/network.hpp).
TEST(PackDefaults, ManifestRuntimeReachesEachNetwork) {
  nlohmann::json manifest = {
      {"id", "on_ort"},
      {"runtime", "onnxruntime"},
      {"detector", {{"type", "ultralight"}}},
      {"landmarker", {{"type", "pfld68"}, {"runtime", "opencv"}}},
      {"embedder", {{"type", "mobilefacenet"}}},
      {"files", nlohmann::json::object()}};
  const ModelPack pack = ModelPack::from_json(manifest);
  EXPECT_EQ(pack.runtime, "onnxruntime");
  EXPECT_EQ(pack.detector.at("runtime"), "onnxruntime");
  EXPECT_EQ(pack.embedder.at("runtime"), "onnxruntime");
  EXPECT_EQ(pack.landmarker.at("runtime"), "opencv");
  EXPECT_EQ(ModelPack::from_json(pack.to_json()).runtime, "onnxruntime");
  for (const ModelPack& p : builtin_packs()) {
    EXPECT_TRUE(p.runtime.empty()) << p.id;
    EXPECT_FALSE(p.embedder.contains("runtime")) << p.id;
  }
}

TEST(LocalPack, BadRequestsAreRefusedBeforeAnythingIsInstalled) {
  const fs::path root = fs::temp_directory_path() / ("fs-registry-test-" + std::to_string(::getpid()));
  fs::remove_all(root);
  LocalPackSpec spec;
  spec.name = "mine";
  spec.detector = "/nonexistent/det.onnx";
  spec.recognizer = "/nonexistent/rec.onnx";
  spec.detector_type = "retinaface";
  spec.recognizer_type = "arcface";
  EXPECT_THROW(add_local_pack(spec, root), std::invalid_argument);
  spec.detector_type = "ultralight";  // boxes only, and no landmarker given
  const std::string msg = message_of<std::invalid_argument>([&] { add_local_pack(spec, root); });
  EXPECT_NE(msg.find("no keypoints"), std::string::npos) << msg;
  spec.detector_type = "scrfd";
  spec.recognizer_type = "dlib_resnet";  // not one ONNX file
  EXPECT_THROW(add_local_pack(spec, root), std::invalid_argument);
  spec.recognizer_type = "arcface";  // known types, but the files do not load
  EXPECT_THROW(add_local_pack(spec, root), std::invalid_argument);
  EXPECT_FALSE(fs::exists(root / "mine"));
  fs::remove_all(root);
}
