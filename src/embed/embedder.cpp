#include "embed/embedder.hpp"

#include <cmath>
#include <stdexcept>


namespace facesearch {

OnnxEmbedder::OnnxEmbedder(const std::filesystem::path& onnx, const nlohmann::json& params)
    : size_(params.at("input")[0].get<int>()),
      dim_(params.at("dim").get<int>()),
      mean_(params.at("mean").get<double>()),
      scale_(params.at("scale").get<double>()),
      swap_rb_(params.at("swap_rb").get<bool>()) {
  infer::NetworkOptions options{infer::runtime_of(params), {1, 3, size_, size_}};
  options.flush_denormals = true;
  options.role = infer::Role::Recognition;
  // bf16 where the CPU computes it natively, unless the pack asks for "precision": "f32" (infer/network.hpp).
  options.precision = params.value("precision", std::string("auto"));
  net_ = infer::load_network(onnx, options);
}

int probe_embedding_dim(const nlohmann::json& params, const std::filesystem::path& onnx) {
  nlohmann::json full = embedder_defaults(params.value("type", ""));
  full.update(params);
  const int side = full["input"][0].get<int>();
  const auto net = infer::load_network(onnx, {infer::runtime_of(full), {1, 3, side, side}});
  const cv::Mat blob = cv::dnn::blobFromImage(cv::Mat(side, side, CV_8UC3, cv::Scalar::all(128)), 1.0);
  return static_cast<int>(net->run(blob).front().total());
}

namespace {

void check_crop(const cv::Mat& crop, int size) {
  if (crop.rows != size || crop.cols != size || crop.type() != CV_8UC3)
    throw std::invalid_argument("embedder expects a " + std::to_string(size) + "x" + std::to_string(size) +
                                " BGR crop");
}

// `count` embeddings of `dim` values each, one after the other in `out`, L2-normalised.
std::vector<Embedding> split_embeddings(const cv::Mat& out, std::size_t count, int dim) {
  if (out.total() != count * static_cast<std::size_t>(dim))
    throw std::runtime_error("embedder returned " + std::to_string(out.total()) + " values, expected " +
                             std::to_string(count * static_cast<std::size_t>(dim)));
  std::vector<Embedding> embeddings;
  for (std::size_t i = 0; i < count; ++i) {
    const float* p = out.ptr<float>() + i * static_cast<std::size_t>(dim);
    Embedding e(p, p + dim);
    l2_normalize(e);
    embeddings.push_back(std::move(e));
  }
  return embeddings;
}

}  // namespace

Embedding embed_crop(cv::dnn::Net& net, const cv::Mat& crop, int size, double scale, const cv::Scalar& mean,
                     bool swap_rb, int dim) {
  check_crop(crop, size);
  net.setInput(cv::dnn::blobFromImage(crop, 1.0 / scale, {}, mean, swap_rb));
  return split_embeddings(net.forward(), 1, dim).front();
}

std::vector<Embedding> OnnxEmbedder::embed(const std::vector<cv::Mat>& aligned) {
  for (const cv::Mat& crop : aligned) check_crop(crop, size_);
  const cv::Scalar mean(mean_, mean_, mean_);
  // All the crops in one forward pass when the graph's batch is dynamic: fewer, larger matrix products.
  if (net_->batches() && aligned.size() > 1)
    return split_embeddings(net_->run(cv::dnn::blobFromImages(aligned, 1.0 / scale_, {}, mean, swap_rb_)).front(),
                            aligned.size(), dim_);
  std::vector<Embedding> out;
  out.reserve(aligned.size());
  for (const cv::Mat& crop : aligned) {
    const cv::Mat blob = cv::dnn::blobFromImage(crop, 1.0 / scale_, {}, mean, swap_rb_);
    out.push_back(split_embeddings(net_->run(blob).front(), 1, dim_).front());
  }
  return out;
}

}  // namespace facesearch
