// Face detectors and landmarkers behind small interfaces, so packs can swap them.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "detect/face.hpp"
#include "infer/network.hpp"

namespace facesearch {

// A detector's input normalisation from its params: pixel' = (pixel - "mean") / "scale", fed as RGB when
// "swap_rb"; blob() turns an image already at the network's size into the NCHW float blob.
struct BlobFormat {
  explicit BlobFormat(const nlohmann::json& params);
  cv::Mat blob(const cv::Mat& bgr) const;

  double mean = 0, scale = 1;
  bool swap_rb = false;
};

// The network of a stage whose params give "input" [w, h] (a landmarker: [side, side]), fed `channels` channels
// at that size, on the runtime the params name (infer/network.hpp).
std::unique_ptr<infer::Network> load_stage_network(const std::filesystem::path& onnx, const nlohmann::json& params,
                                                   int channels);

class Detector {
 public:
  virtual ~Detector() = default;
  // All faces in a BGR image, boxes in that image's pixels, before any size filtering.
  virtual std::vector<Detection> detect(const cv::Mat& bgr) = 0;
  // The network's input size: one pass sees the image shrunk to this.
  virtual cv::Size input_size() const = 0;
  // Smallest face side (in network pixels) the network finds reliably; decides when tiling helps.
  virtual float min_reliable_face() const = 0;
  // Misses faces that fill the whole image (trained on faces with context around them): find_faces then retries
  // an image without faces shrunk inside a border.
  virtual bool misses_frame_filling_faces() const { return false; }
};

class Landmarker {
 public:
  virtual ~Landmarker() = default;
  virtual Landmarks5 locate(const cv::Mat& bgr, const Box& box) = 0;
};

// Ultra-Light-Fast-Generic-Face-Detector RFB-320 with boxes decoded inside the graph. Registered as
// "ultralight"; `params` is complete (detect/registry.cpp merges the type's defaults). Every network of this
// folder runs on the runtime its params name ("runtime", infer/network.hpp), else the default one.
class UltraLightDetector : public Detector {
 public:
  UltraLightDetector(const std::filesystem::path& onnx, const nlohmann::json& params);
  std::vector<Detection> detect(const cv::Mat& bgr) override;
  cv::Size input_size() const override { return input_; }
  float min_reliable_face() const override { return 20.f; }
  const infer::Network& network() const { return *net_; }

 private:
  std::unique_ptr<infer::Network> net_;
  cv::Size input_;
  float score_threshold_ = 0;
  float nms_iou_ = 0;
  BlobFormat format_;
};

// 68-point iBUG landmark regressor on a 64x64 grey crop, reduced to the 5 ArcFace points. Registered as "pfld68".
class Landmark68Landmarker : public Landmarker {
 public:
  Landmark68Landmarker(const std::filesystem::path& onnx, const nlohmann::json& params);
  Landmarks5 locate(const cv::Mat& bgr, const Box& box) override;
  const infer::Network& network() const { return *net_; }

 private:
  std::unique_ptr<infer::Network> net_;
  int input_ = 0;
};

// A pack's "detector" / "landmarker" object ({"type": ..., overrides}) loaded through the registry
// (detect/registry.hpp); throws std::runtime_error for an unknown type.
std::unique_ptr<Detector> make_detector(const nlohmann::json& params, const std::filesystem::path& onnx);
std::unique_ptr<Landmarker> make_landmarker(const nlohmann::json& params, const std::filesystem::path& onnx);

enum class SmallFaces { Off, Auto, On };

struct FindOptions {
  SmallFaces small_faces = SmallFaces::Auto;
  float min_face = 20.f;   // drop faces whose longer box side is below this (pixels of the image passed in)
  float nms_iou = 0.4f;
  // When > 0: the small-face tiles are laid out as if the image's long side were at most this (the engine's
  // detect_max_side), so a bigger decoded image costs no more detector passes; detection still sees all it needs.
  int max_side = 0;
};

// Whole-image pass plus, where faces can be too small for it, a tiled pass; merged and filtered.
std::vector<Detection> find_faces(Detector& detector, const cv::Mat& bgr, const FindOptions& options);

// `bgr` reduced exactly `k` times per side by INTER_AREA (a block average, OpenCV's fast path; a non-integer area
// shrink of the same image costs several times more), cropped first to a multiple of `k` (at most k - 1 pixels off
// the right and bottom edges, so coordinates scale by exactly k); `bgr` itself when k <= 1.
cv::Mat shrink_by_whole_factor(const cv::Mat& bgr, int k);

}  // namespace facesearch
