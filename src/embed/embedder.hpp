// Embedders turn an aligned face crop into an L2-normalised identity vector; similarity is their dot product.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "align/align.hpp"
#include "infer/network.hpp"
#include "vector/similarity.hpp"

namespace facesearch {

using Embedding = std::vector<float>;

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual int dim() const = 0;
  virtual int input_size() const = 0;  // side of the aligned square crop it expects
  // Where the 5 landmarks must lie in that crop: the ArcFace template unless the network was trained otherwise.
  virtual Landmarks5 face_template() const { return arcface_template(input_size()); }
  // One embedding per aligned BGR crop, L2-normalised.
  virtual std::vector<Embedding> embed(const std::vector<cv::Mat>& aligned) = 0;
};

// A network on an aligned square crop (ArcFace 5-point template) with (x - mean) / scale input, RGB unless
// "swap_rb": false. The types using it (mobilefacenet, arcface, sface) and their conventions are registered in
// embed/registry.cpp; `params` is complete (the type's defaults merged with the pack's overrides).
// It runs on the runtime params "runtime" names, else the default one (infer/network.hpp). On OpenCV the input
// is fixed to 1x3xSxS at load time (so exports with a dynamic batch load in OpenCV 4.6) and crops go one by one;
// on ONNX Runtime a network with a dynamic batch takes all the crops of a call at once.
class OnnxEmbedder : public Embedder {
 public:
  OnnxEmbedder(const std::filesystem::path& onnx, const nlohmann::json& params);
  int dim() const override { return dim_; }
  int input_size() const override { return size_; }
  std::vector<Embedding> embed(const std::vector<cv::Mat>& aligned) override;
  const infer::Network& network() const { return *net_; }

 private:
  std::unique_ptr<infer::Network> net_;
  int size_ = 0;
  int dim_ = 0;
  double mean_ = 0;
  double scale_ = 1;
  bool swap_rb_ = false;
};

// The conventions of an embedder type from the registry (embed/registry.hpp), "type" included; throws for an
// unknown type.
nlohmann::json embedder_defaults(const std::string& type);

// Loads the network and runs it once on a grey crop: the length of its output (to check a file and learn its dim).
int probe_embedding_dim(const nlohmann::json& params, const std::filesystem::path& onnx);

// Through the registry. `file` is the pack's "embedder" file: an ONNX network, or for "dlib_resnet" the TF.js weights binary (its JSON
// manifest is the pack's "weights_manifest" file in the same directory; see embed/dlib_resnet.hpp).
std::unique_ptr<Embedder> make_embedder(const nlohmann::json& params, const std::filesystem::path& file);

// One aligned BGR crop of size x size through a recogniser network with a batch of 1: the blob is
// (pixel - mean) / scale (in RGB order with swap_rb), the output must have `dim` values; returned L2-normalised.
// Shared by the embedders; throws std::invalid_argument for a wrong crop, std::runtime_error for a wrong output.
Embedding embed_crop(cv::dnn::Net& net, const cv::Mat& crop, int size, double scale, const cv::Scalar& mean,
                     bool swap_rb, int dim);


}  // namespace facesearch
