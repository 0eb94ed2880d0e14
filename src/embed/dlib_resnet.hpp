// The dlib ResNet face recogniser (dlib_face_recognition_resnet_model_v1, 128-d) from the TF.js export that
// face-api.js ships: a weights manifest (JSON) and a binary of uint8-quantised or float32 tensors. The
// network is rebuilt layer by layer with OpenCV DNN's layer API; nothing is converted on disk.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "detect/tfjs_weights.hpp"
#include "embed/embedder.hpp"

namespace facesearch {

// Pack parameters (the manifest's "embedder"): "type": "dlib_resnet", "input": [150, 150], "dim": 128,
// "weights_manifest": file name of the TF.js manifest in the pack directory (the embedder file is the .bin),
// "mean_rgb": [122.782, 117.001, 104.298], "scale": 256, "alignment": "dlib_chip", "padding": 0.25.
class DlibResNetEmbedder : public Embedder {
 public:
  DlibResNetEmbedder(const std::filesystem::path& weights_bin, const nlohmann::json& params);
  int dim() const override { return 128; }
  int input_size() const override { return size_; }
  Landmarks5 face_template() const override;
  std::vector<Embedding> embed(const std::vector<cv::Mat>& aligned) override;

  // Number of OpenCV layers the network was built from (for tests and diagnostics).
  std::size_t layer_count() const { return layers_; }

 private:
  cv::dnn::Net net_;
  int size_ = 150;
  double padding_ = 0.25;
  cv::Scalar mean_rgb_{122.782, 117.001, 104.298};
  double scale_ = 256.0;
  std::size_t layers_ = 0;
};

}  // namespace facesearch
