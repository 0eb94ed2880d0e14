#include "infer/network.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <stdexcept>

#include <opencv2/dnn.hpp>

#include "infer/onnx_static.hpp"
#include "infer/ort_network.hpp"
#include "infer/ov_network.hpp"

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
  std::call_once(once, [&] { std::fprintf(stderr, "facesearch: %s; running on the next runtime\n", what.c_str()); });
}

// Every runtime this source knows, with what messages call it and the CMake option that builds it in.
struct RuntimeEntry {
  const char* name;
  const char* label;
  const char* cmake_option;
  bool (*in_build)();
};
constexpr RuntimeEntry kRuntimes[] = {
    {kOpenCv, "OpenCV DNN", nullptr, [] { return true; }},
    {kOnnxRuntime, "ONNX Runtime", "FACESEARCH_ONNXRUNTIME", onnxruntime_available},
    {kOpenVino, "OpenVINO", "FACESEARCH_OPENVINO", openvino_available},
};

const RuntimeEntry* find_runtime(const std::string& name) {
  for (const RuntimeEntry& r : kRuntimes)
    if (name == r.name) return &r;
  return nullptr;
}

bool available(const std::string& runtime) {
  const RuntimeEntry* r = find_runtime(runtime);
  return r && r->in_build();
}

// The runtimes this build has, fastest first for networks of this role; OpenCV last.
std::vector<std::string> preference(Role role) {
  std::vector<std::string> order = role == Role::Recognition
                                       ? std::vector<std::string>{kOpenVino, kOnnxRuntime, kOpenCv}
                                       : std::vector<std::string>{kOnnxRuntime, kOpenVino, kOpenCv};
  std::erase_if(order, [](const std::string& r) { return !available(r); });
  return order;
}

// How each runtime loads the model (a file, or bytes in memory).
struct Loaders {
  std::function<std::unique_ptr<Network>()> opencv, ort, ov;
};

}  // namespace

std::string default_runtime(Role role) {
  if (const char* env = std::getenv("FACESEARCH_RUNTIME"); env && *env) return env;
  return preference(role).front();
}

std::vector<std::string> available_runtimes() {
  std::vector<std::string> names;
  for (const RuntimeEntry& r : kRuntimes)
    if (r.in_build()) names.emplace_back(r.name);
  return names;
}

std::string runtime_label(const std::string& runtime) {
  const RuntimeEntry* r = find_runtime(runtime);
  return r ? r->label : runtime;
}

std::string onnxruntime_version() { return onnxruntime_available() ? ort_version() : std::string(); }
std::string openvino_version() { return openvino_available() ? ov_version() : std::string(); }

namespace {

// The runtime the options ask for, with the fallbacks load_network documents.
std::unique_ptr<Network> load_on_runtime(const std::string& name, const NetworkOptions& options,
                                         const Loaders& load) {
  const bool named = !options.runtime.empty();
  const std::string first = named ? options.runtime : default_runtime(options.role);
  const RuntimeEntry* entry = find_runtime(first);
  if (!entry)
    throw std::runtime_error("unknown inference runtime '" + first + "' (known: opencv, onnxruntime, openvino)");
  if (!entry->in_build()) {
    const std::string missing = std::string("this build has no ") + entry->label;
    if (named) throw std::runtime_error(missing + " (CMake option " + entry->cmake_option + ")");
    warn_once(missing);
  }
  std::vector<std::string> order{first};
  if (!named)
    for (const std::string& r : preference(options.role))
      if (r != first) order.push_back(r);
  for (const std::string& runtime : order) {
    if (!available(runtime)) continue;
    if (runtime == kOpenCv) return load.opencv();
    try {
      std::unique_ptr<Network> network = runtime == kOpenVino ? load.ov() : load.ort();
      // ONNX Runtime cannot feed another shape than a dim the file fixes (OpenVINO reshapes the graph): the next
      // runtime runs it.
      if (runtime == kOpenVino || !conflicts(network->input_shape(), options.input_shape)) return network;
    } catch (const std::exception& e) {
      if (named) throw;
      // A graph a runtime cannot take may still run on the next one, as it did before that runtime came.
      warn_once(runtime_label(runtime) + " cannot load " + name + " (" + e.what() + ")");
    }
  }
  return load.opencv();
}

}  // namespace

std::unique_ptr<Network> load_network(const std::filesystem::path& onnx, const NetworkOptions& options) {
  return load_on_runtime(onnx.filename().string(), options,
                         {[&] { return std::unique_ptr<Network>(std::make_unique<OpenCvNetwork>(onnx, options)); },
                          [&] { return load_ort_network(onnx, options); },
                          [&] { return load_ov_network(onnx, options); }});
}

std::unique_ptr<Network> load_network_bytes(const std::string& onnx, const std::string& name,
                                            const NetworkOptions& options) {
  return load_on_runtime(name, options,
                         {[&] { return std::unique_ptr<Network>(std::make_unique<OpenCvNetwork>(onnx, name)); },
                          [&] { return load_ort_network_bytes(onnx, name, options); },
                          [&] { return load_ov_network_bytes(onnx, name, options); }});
}

}  // namespace facesearch::infer
