// Embedders turn an aligned face crop into an L2-normalised identity vector; similarity is their dot product.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

namespace facesearch {

using Embedding = std::vector<float>;

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual int dim() const = 0;
  virtual int input_size() const = 0;  // side of the aligned square crop it expects
  // One embedding per aligned BGR crop, L2-normalised.
  virtual std::vector<Embedding> embed(const std::vector<cv::Mat>& aligned) = 0;
};

// ArcFace-style network on a 112x112 RGB crop with (x - mean) / scale input, e.g. MobileFaceNet.
class OnnxEmbedder : public Embedder {
 public:
  OnnxEmbedder(const std::filesystem::path& onnx, const nlohmann::json& params);
  int dim() const override { return dim_; }
  int input_size() const override { return size_; }
  std::vector<Embedding> embed(const std::vector<cv::Mat>& aligned) override;

 private:
  cv::dnn::Net net_;
  int size_ = 112;
  int dim_ = 512;
  double mean_ = 127.0;
  double scale_ = 128.0;
};

std::unique_ptr<Embedder> make_embedder(const nlohmann::json& params, const std::filesystem::path& onnx);

void l2_normalize(std::span<float> v);
float dot(std::span<const float> a, std::span<const float> b);

}  // namespace facesearch
