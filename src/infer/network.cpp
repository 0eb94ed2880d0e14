#include "infer/network.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include <opencv2/dnn.hpp>

#include "infer/onnx_static.hpp"
#include "infer/ort_network.hpp"

namespace facesearch::infer {

namespace {

// An OpenCV network set to run on the CPU; throws when the model could not be read.
cv::dnn::Net on_cpu(cv::dnn::Net net, const std::string& name) {
  if (net.empty()) throw std::runtime_error("cannot load model " + name);
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

// An ONNX file on OpenCV's CPU backend, its inputs first fixed to `input_shape` when one is given.
cv::dnn::Net read_on_cpu(const std::filesystem::path& onnx, const std::vector<std::int64_t>& input_shape) {
  if (input_shape.empty()) return on_cpu(cv::dnn::readNetFromONNX(onnx.string()), onnx.string());
  const std::string fixed = read_onnx_static(onnx, input_shape);
  return on_cpu(cv::dnn::readNetFromONNX(fixed.data(), fixed.size()), onnx.string());
}

class OpenCvNetwork final : public Network {
 public:
  OpenCvNetwork(const std::filesystem::path& onnx, const NetworkOptions& options)
      : OpenCvNetwork(read_on_cpu(onnx, options.input_shape), options.input_shape) {}

  // A model made in memory (infer/onnx_writer.hpp), its input shape fixed already.
  OpenCvNetwork(const std::string& onnx, const std::string& name)
      : OpenCvNetwork(on_cpu(cv::dnn::readNetFromONNX(onnx.data(), onnx.size()), name), {}) {}

  const char* runtime() const override { return kOpenCv; }
  std::vector<std::string> output_names() const override { return outputs_; }
  // The shape given at load time (batch 1), to which the input was fixed; empty when none was.
  std::vector<std::int64_t> input_shape() const override { return shape_; }

  std::vector<cv::Mat> run(const cv::Mat& input, const std::vector<std::string>& outputs) override {
    net_.setInput(input);
    std::vector<cv::Mat> outs;
    const std::vector<std::string>& names = outputs.empty() ? outputs_ : outputs;
    net_.forward(outs, std::vector<cv::String>(names.begin(), names.end()));
    for (cv::Mat& m : outs)
      if (m.dims < 2) m = m.reshape(1, 1);
    return outs;
  }

 private:
  OpenCvNetwork(cv::dnn::Net net, std::vector<std::int64_t> shape) : net_(std::move(net)), shape_(std::move(shape)) {
    for (const cv::String& name : net_.getUnconnectedOutLayersNames()) outputs_.push_back(name);
  }

  cv::dnn::Net net_;
  std::vector<std::string> outputs_;
  std::vector<std::int64_t> shape_;
};

// The file fixes a dim of its input to another value than the caller will feed.
bool conflicts(const std::vector<std::int64_t>& file, const std::vector<std::int64_t>& fed) {
  if (fed.empty()) return false;
  if (file.size() != fed.size()) return true;
  for (std::size_t i = 1; i < file.size(); ++i)
    if (file[i] > 0 && file[i] != fed[i]) return true;
  return false;
}

void warn_once(const std::string& what) {
  static std::once_flag once;
  std::call_once(once, [&] {
    std::fprintf(stderr, "facesearch: %s; running the networks on OpenCV DNN\n", what.c_str());
  });
}

}  // namespace

std::string default_runtime() {
  if (const char* env = std::getenv("FACESEARCH_RUNTIME"); env && *env) return env;
  return onnxruntime_available() ? kOnnxRuntime : kOpenCv;
}

std::vector<std::string> available_runtimes() {
  std::vector<std::string> names{kOpenCv};
  if (onnxruntime_available()) names.emplace_back(kOnnxRuntime);
  return names;
}

std::string onnxruntime_version() { return onnxruntime_available() ? ort_version() : std::string(); }

namespace {

// The runtime the options ask for, with the fallbacks load_network documents: `ort` and `opencv` load the model.
template <typename LoadOrt, typename LoadOpenCv>
std::unique_ptr<Network> load_on_runtime(const std::string& name, const NetworkOptions& options, LoadOrt&& ort,
                                         LoadOpenCv&& opencv) {
  const bool named = !options.runtime.empty();
  const std::string runtime = named ? options.runtime : default_runtime();
  if (runtime == kOpenCv) return opencv();
  if (runtime != kOnnxRuntime)
    throw std::runtime_error("unknown inference runtime '" + runtime + "' (known: opencv, onnxruntime)");
  if (!onnxruntime_available()) {
    if (named) throw std::runtime_error("this build has no ONNX Runtime (CMake option FACESEARCH_ONNXRUNTIME)");
    warn_once("this build has no ONNX Runtime");
    return opencv();
  }
  try {
    std::unique_ptr<Network> network = ort();
    if (!conflicts(network->input_shape(), options.input_shape)) return network;
    return opencv();
  } catch (const std::exception& e) {
    if (named) throw;
    // A graph ONNX Runtime cannot take may still run on OpenCV, which is what the pack got before.
    warn_once("ONNX Runtime cannot load " + name + " (" + e.what() + ")");
    return opencv();
  }
}

}  // namespace

std::unique_ptr<Network> load_network(const std::filesystem::path& onnx, const NetworkOptions& options) {
  return load_on_runtime(
      onnx.filename().string(), options, [&] { return load_ort_network(onnx, options); },
      [&] { return std::make_unique<OpenCvNetwork>(onnx, options); });
}

std::unique_ptr<Network> load_network_bytes(const std::string& onnx, const std::string& name,
                                            const NetworkOptions& options) {
  return load_on_runtime(
      name, options, [&] { return load_ort_network_bytes(onnx, name, options); },
      [&] { return std::make_unique<OpenCvNetwork>(onnx, name); });
}

}  // namespace facesearch::infer
