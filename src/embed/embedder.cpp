#include "embed/embedder.hpp"

#include <cmath>
#include <stdexcept>

#include "detect/onnx_static.hpp"

namespace facesearch {

OnnxEmbedder::OnnxEmbedder(const std::filesystem::path& onnx, const nlohmann::json& params)
    : size_(params.at("input")[0].get<int>()),
      dim_(params.at("dim").get<int>()),
      mean_(params.at("mean").get<double>()),
      scale_(params.at("scale").get<double>()),
      swap_rb_(params.at("swap_rb").get<bool>()) {
  net_ = read_onnx_static(onnx, {1, 3, size_, size_});
}

int probe_embedding_dim(const nlohmann::json& params, const std::filesystem::path& onnx) {
  nlohmann::json full = embedder_defaults(params.value("type", ""));
  full.update(params);
  const int side = full["input"][0].get<int>();
  cv::dnn::Net net = read_onnx_static(onnx, {1, 3, side, side});
  net.setInput(cv::dnn::blobFromImage(cv::Mat(side, side, CV_8UC3, cv::Scalar::all(128)), 1.0));
  return static_cast<int>(net.forward().total());
}

Embedding embed_crop(cv::dnn::Net& net, const cv::Mat& crop, int size, double scale, const cv::Scalar& mean,
                     bool swap_rb, int dim) {
  if (crop.rows != size || crop.cols != size || crop.type() != CV_8UC3)
    throw std::invalid_argument("embedder expects a " + std::to_string(size) + "x" + std::to_string(size) +
                                " BGR crop");
  net.setInput(cv::dnn::blobFromImage(crop, 1.0 / scale, {}, mean, swap_rb));
  cv::Mat o = net.forward();
  if (static_cast<int>(o.total()) != dim)
    throw std::runtime_error("embedder returned " + std::to_string(o.total()) + " values, expected " +
                             std::to_string(dim));
  Embedding e(o.ptr<float>(), o.ptr<float>() + dim);
  l2_normalize(e);
  return e;
}

std::vector<Embedding> OnnxEmbedder::embed(const std::vector<cv::Mat>& aligned) {
  std::vector<Embedding> out;
  out.reserve(aligned.size());
  // One crop per forward: the exported graph has a fixed batch of 1.
  for (const cv::Mat& crop : aligned)
    out.push_back(embed_crop(net_, crop, size_, scale_, cv::Scalar(mean_, mean_, mean_), swap_rb_, dim_));
  return out;
}

}  // namespace facesearch
