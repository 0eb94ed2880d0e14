// The same networks on OpenCV DNN, on ONNX Runtime and on OpenVINO (infer/network.hpp) give the same answers on real
// photos: raw outputs, detections, landmarks and embeddings. Built only when the build has both runtimes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detector.hpp"
#include "detect/registry.hpp"
#include "embed/embedder.hpp"
#include "engine/engine.hpp"
#include "image/image.hpp"
#include "infer/network.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

// Group photos (many faces each, small and large) and one-person portraits.
std::vector<fs::path> photos() {
  const fs::path data = fstest::shared_data();
  return {data / "group_photos/ultra_light_1mb/1.jpg", data / "group_photos/ultra_light_1mb/9.jpg",
          data / "group_photos/serengil_retinaface/img3.jpg",
          data / "face_recognition_examples/knn_examples/train/obama/obama.jpg"};
}

// The default pack with every network on `runtime` (empty: the build's defaults), as a manifest naming it would
// give; `precision` for the recogniser when not empty.
EngineConfig on(const std::string& runtime, const std::string& precision = "") {
  nlohmann::json manifest = resolve_pack(EngineConfig{}).to_json();
  if (!runtime.empty()) manifest["runtime"] = runtime;
  if (!precision.empty()) manifest["embedder"]["precision"] = precision;
  EngineConfig config;
  config.pack = std::make_shared<const ModelPack>(ModelPack::from_json(manifest));
  return config;
}

// Largest difference between two sets of outputs, relative to the largest magnitude among them; the shapes must
// agree.
double relative_difference(const std::vector<cv::Mat>& a, const std::vector<cv::Mat>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 1e-12;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_EQ(a[i].total(), b[i].total()) << "output " << i;
    if (a[i].total() != b[i].total()) continue;
    diff = std::max(diff, cv::norm(a[i].reshape(1, 1), b[i].reshape(1, 1), cv::NORM_INF));
    scale = std::max(scale, cv::norm(a[i].reshape(1, 1), cv::NORM_INF));
  }
  return diff / scale;
}

// The runtimes compared with OpenCV DNN.
const std::vector<std::string> kOthers = {infer::kOnnxRuntime, infer::kOpenVino};

struct Pair {
  std::unique_ptr<infer::Network> opencv, other;
};

Pair load_both(const fs::path& onnx, std::vector<std::int64_t> shape, const std::string& runtime) {
  Pair p{infer::load_network(onnx, {infer::kOpenCv, shape}), infer::load_network(onnx, {runtime, shape})};
  EXPECT_EQ(p.other->runtime(), runtime) << onnx << " fell back to another runtime";
  return p;
}

}  // namespace

TEST(Runtimes, BuildDefaultsToTheFastestRuntime) {
  EXPECT_EQ(infer::available_runtimes(), (std::vector<std::string>{"opencv", "onnxruntime", "openvino"}));
  EXPECT_EQ(infer::onnxruntime_version(), "1.29.0");
  EXPECT_EQ(infer::openvino_version(), "2026.4.1");
  EXPECT_EQ(infer::default_runtime(infer::Role::Detection), infer::kOnnxRuntime);
  EXPECT_EQ(infer::default_runtime(infer::Role::Recognition), infer::kOpenVino);
  EXPECT_THROW(infer::load_network("x.onnx", {"tensorflow", {}}), std::runtime_error);
  // A file no runtime can read is refused by the one named, and by the default chain too.
  const fs::path junk = fstest::scratch_dir("runtimes-junk") / "junk.onnx";
  std::ofstream(junk) << "not a model";
  for (const char* runtime : {infer::kOnnxRuntime, infer::kOpenVino})
    EXPECT_THROW(infer::load_network(junk, {runtime, {1, 3, 112, 112}}), std::exception) << runtime;
  EXPECT_THROW(infer::load_network(junk, {"", {1, 3, 112, 112}}), std::exception);
  // The default pack's recogniser runs on OpenVINO, its detector on ONNX Runtime.
  const auto files = require_pack(resolve_pack(EngineConfig{}));
  infer::NetworkOptions recogniser{"", {1, 3, 112, 112}};
  recogniser.role = infer::Role::Recognition;
  EXPECT_STREQ(infer::load_network(files.at("embedder"), recogniser)->runtime(), infer::kOpenVino);
  EXPECT_STREQ(infer::load_network(files.at("detector"), {"", {1, 3, 240, 320}})->runtime(), infer::kOnnxRuntime);
}

// Each network of the default pack, on the inputs the pipeline gives it from real photos.
TEST(Runtimes, DefaultPackRawOutputsAgree) {
  const ModelPack pack = resolve_pack(EngineConfig{});
  const auto files = require_pack(pack);
  for (const std::string& runtime : kOthers) {
  Pair detector = load_both(files.at("detector"), {1, 3, 240, 320}, runtime);
  Pair landmarker = load_both(files.at("landmarker"), {1, 1, 64, 64}, runtime);
  Pair recogniser = load_both(files.at("embedder"), {1, 3, 112, 112}, runtime);
  Engine engine(on(infer::kOpenCv));
  std::size_t faces = 0;
  for (const fs::path& path : photos()) {
    const DecodedImage image = load_image(path);
    const cv::Mat& bgr = image.bgr;
    cv::Mat small;
    cv::resize(bgr, small, {320, 240}, 0, 0, cv::INTER_AREA);
    const cv::Mat blob = cv::dnn::blobFromImage(small, 1.0 / 128, {}, cv::Scalar::all(127), true);
    const std::vector<std::string> heads = {"scores", "boxes"};
    EXPECT_LT(relative_difference(detector.opencv->run(blob, heads), detector.other->run(blob, heads)), 1e-4) << runtime << " " << path;
    for (const Face& face : engine.analyze(image, false).faces) {
      const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(face.box.x1), static_cast<int>(face.box.y1)),
                                  cv::Point(static_cast<int>(face.box.x2), static_cast<int>(face.box.y2))) &
                         cv::Rect(0, 0, bgr.cols, bgr.rows);
      cv::Mat grey, crop;
      cv::cvtColor(bgr(r), grey, cv::COLOR_BGR2GRAY);
      cv::resize(grey, crop, {64, 64});
      const cv::Mat lm_blob = cv::dnn::blobFromImage(crop, 1.0 / 256);
      EXPECT_LT(relative_difference(landmarker.opencv->run(lm_blob), landmarker.other->run(lm_blob)), 1e-4) << runtime << " " << path;
      const cv::Mat aligned = align_face(bgr, face.landmarks, 112);
      const cv::Mat emb_blob = cv::dnn::blobFromImage(aligned, 1.0 / 128, {}, cv::Scalar::all(127), true);
      EXPECT_LT(relative_difference(recogniser.opencv->run(emb_blob), recogniser.other->run(emb_blob)), 1e-4) << runtime << " " << path;
      ++faces;
    }
  }
  EXPECT_GT(faces, 20u) << runtime;
  }
}

// The whole engine on each runtime, and with the default choice (the recogniser on OpenVINO, the other networks on
// ONNX Runtime): the same faces, boxes and landmarks; the same embeddings in f32, and within a cosine of 0.995 where
// OpenVINO may compute the recogniser in bf16 (this CPU has AMX; LFW is unchanged, docs/MODELS.md).
TEST(Runtimes, EngineFindsTheSameFaces) {
  Engine on_opencv(on(infer::kOpenCv));
  struct Variant {
    std::string runtime, precision;
    float min_cosine;
  };
  const std::vector<Variant> variants = {{infer::kOnnxRuntime, "", 0.9999f},
                                         {infer::kOpenVino, "f32", 0.9999f},
                                         {infer::kOpenVino, "", 0.995f},
                                         {"", "f32", 0.9999f},
                                         {"", "", 0.995f}};
  for (const Variant& v : variants) {
    const std::string label =
        (v.runtime.empty() ? "default" : v.runtime) + "/" + (v.precision.empty() ? "auto" : v.precision);
    Engine other(on(v.runtime, v.precision));
    std::size_t faces = 0;
    double lowest = 1;
    for (const fs::path& path : photos()) {
      const ImageFaces a = on_opencv.analyze_file(path), b = other.analyze_file(path);
      ASSERT_EQ(a.faces.size(), b.faces.size()) << label << " " << path;
      for (std::size_t i = 0; i < a.faces.size(); ++i) {
        const Face &fa = a.faces[i], &fb = b.faces[i];
        EXPECT_NEAR(fa.score, fb.score, 1e-4) << label << " " << path << " face " << i;
        for (auto [x, y] : {std::pair{fa.box.x1, fb.box.x1}, {fa.box.y1, fb.box.y1}, {fa.box.x2, fb.box.x2},
                            {fa.box.y2, fb.box.y2}})
          EXPECT_NEAR(x, y, 0.05) << label << " " << path << " face " << i;
        for (std::size_t p = 0; p < fa.landmarks.size(); ++p)
          EXPECT_LT(cv::norm(fa.landmarks[p] - fb.landmarks[p]), 0.05) << label << " " << path << " face " << i;
        ASSERT_EQ(fa.embedding.size(), 512u);
        lowest = std::min(lowest, static_cast<double>(dot(fa.embedding, fb.embedding)));
        ++faces;
      }
    }
    EXPECT_GT(lowest, v.min_cosine) << label;
    std::printf("%s: %zu faces, lowest embedding cosine to OpenCV DNN %.6f\n", label.c_str(), faces, lowest);
    EXPECT_GT(faces, 20u) << label;
  }
}

// SCRFD and YuNet (the reference models beside the test data): the same detections with keypoints.
TEST(Runtimes, KeypointDetectorsAgree) {
  const fs::path models = fstest::shared_data().parent_path() / "models";
  const std::vector<std::pair<std::string, nlohmann::json>> detectors = {
      {"scrfd_500m_bnkps.onnx", {{"type", "scrfd"}, {"min_reliable_face", 18}}},
      {"yunet_n_320_320.onnx", {{"type", "yunet"}, {"input", {320, 320}}}},
  };
  for (const auto& [file, params] : detectors)
    for (const std::string& runtime : kOthers) {
      nlohmann::json on_cv = params, on_other = params;
      on_cv["runtime"] = infer::kOpenCv;
      on_other["runtime"] = runtime;
      const auto a = make_detector(on_cv, models / file), b = make_detector(on_other, models / file);
      for (const fs::path& path : photos()) {
        const cv::Mat bgr = load_image(path).bgr;
        const auto da = a->detect(bgr), db = b->detect(bgr);
        ASSERT_EQ(da.size(), db.size()) << file << " " << runtime << " " << path;
        ASSERT_FALSE(da.empty()) << file << " " << runtime << " " << path;
        for (std::size_t i = 0; i < da.size(); ++i) {
          EXPECT_NEAR(da[i].score, db[i].score, 1e-4) << file << " " << runtime << " " << path;
          EXPECT_NEAR(da[i].box.x1, db[i].box.x1, 0.05) << file << " " << runtime << " " << path;
          EXPECT_NEAR(da[i].box.y2, db[i].box.y2, 0.05) << file << " " << runtime << " " << path;
          ASSERT_TRUE(da[i].landmarks && db[i].landmarks);
          EXPECT_LT(cv::norm((*da[i].landmarks)[0] - (*db[i].landmarks)[0]), 0.05)
              << file << " " << runtime << " " << path;
        }
      }
    }
}

// BlazeFace (a TF.js graph rebuilt as ONNX at load time, detect/tfjs_graph.hpp): the same detections with keypoints
// on either runtime, on portraits and on profile photos, where the close-up detector serves the default pipeline.
TEST(Runtimes, TfjsGraphDetectorsAgree) {
  const fs::path data = fstest::shared_data();
  const std::vector<fs::path> faces = {data / "face_recognition_examples/knn_examples/train/obama/obama.jpg",
                                       data / "cfp_dev/images/001/frontal/01.jpg",
                                       data / "cfp_dev/images/001/profile/01.jpg",
                                       data / "cfp_dev/images/002/profile/02.jpg"};
  for (const std::string id : {"blazeface_front", "blazeface_back"})
    for (const std::string& runtime : kOthers) {
      const ModelPack pack = find_pack(id, models_root());
      const auto files = require_pack(pack);
      nlohmann::json on_cv = pack.detector, on_other = pack.detector;
      on_cv["runtime"] = infer::kOpenCv;
      on_other["runtime"] = runtime;
      const auto a = make_detector(on_cv, files.at("detector")), b = make_detector(on_other, files.at("detector"));
      std::size_t found = 0;
      for (const fs::path& path : faces) {
        const cv::Mat bgr = load_image(path).bgr;
        const auto da = a->detect(bgr), db = b->detect(bgr);
        ASSERT_EQ(da.size(), db.size()) << id << " " << runtime << " " << path;
        for (std::size_t i = 0; i < da.size(); ++i) {
          EXPECT_NEAR(da[i].score, db[i].score, 1e-4) << id << " " << runtime << " " << path;
          EXPECT_NEAR(da[i].box.x1, db[i].box.x1, 0.05) << id << " " << runtime << " " << path;
          EXPECT_NEAR(da[i].box.y2, db[i].box.y2, 0.05) << id << " " << runtime << " " << path;
          ASSERT_TRUE(da[i].landmarks && db[i].landmarks);
          for (std::size_t p = 0; p < da[i].landmarks->size(); ++p)
            EXPECT_LT(cv::norm((*da[i].landmarks)[p] - (*db[i].landmarks)[p]), 0.05) << id << " " << runtime << " " << path;
        }
        found += da.size();
      }
      EXPECT_GE(found, 3u) << id << " " << runtime;
    }
}
