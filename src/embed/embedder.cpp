#include "embed/embedder.hpp"

#include <cmath>
#include <stdexcept>

namespace facesearch {

OnnxEmbedder::OnnxEmbedder(const std::filesystem::path& onnx, const nlohmann::json& params) {
  net_ = cv::dnn::readNetFromONNX(onnx.string());
  if (net_.empty()) throw std::runtime_error("cannot load model " + onnx.string());
  net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  if (params.contains("input")) size_ = params["input"][0].get<int>();
  dim_ = params.value("dim", dim_);
  mean_ = params.value("mean", mean_);
  scale_ = params.value("scale", scale_);
}

std::vector<Embedding> OnnxEmbedder::embed(const std::vector<cv::Mat>& aligned) {
  std::vector<Embedding> out;
  out.reserve(aligned.size());
  // One crop per forward: the exported graph has a fixed batch of 1.
  for (const cv::Mat& crop : aligned) {
    if (crop.rows != size_ || crop.cols != size_ || crop.type() != CV_8UC3)
      throw std::invalid_argument("embedder expects a " + std::to_string(size_) + "x" + std::to_string(size_) +
                                  " BGR crop");
    cv::Mat blob = cv::dnn::blobFromImage(crop, 1.0 / scale_, {}, cv::Scalar(mean_, mean_, mean_), true);
    net_.setInput(blob);
    cv::Mat o = net_.forward();
    if (static_cast<int>(o.total()) != dim_)
      throw std::runtime_error("embedder returned " + std::to_string(o.total()) + " values, expected " +
                               std::to_string(dim_));
    Embedding e(o.ptr<float>(), o.ptr<float>() + dim_);
    l2_normalize(e);
    out.push_back(std::move(e));
  }
  return out;
}

std::unique_ptr<Embedder> make_embedder(const nlohmann::json& params, const std::filesystem::path& onnx) {
  const std::string type = params.value("type", "");
  if (type == "mobilefacenet" || type == "arcface") return std::make_unique<OnnxEmbedder>(onnx, params);
  throw std::runtime_error("unknown embedder type '" + type + "'");
}

void l2_normalize(std::span<float> v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  if (n > 0)
    for (float& x : v) x = static_cast<float>(x / n);
}

float dot(std::span<const float> a, std::span<const float> b) {
  float s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace facesearch
