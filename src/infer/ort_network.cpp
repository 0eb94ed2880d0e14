// Networks on ONNX Runtime's CPU execution provider, through its C++ API (the headers and library come from
// scripts/fetch-onnxruntime.sh; see docs/MODELS.md).
#include "infer/ort_network.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>

#include "infer/blob.hpp"
#include "infer/denormals.hpp"

namespace facesearch::infer {

namespace {

// ONNX Runtime's telemetry matches regular expressions against the process's command line when the first
// environment is created, and libstdc++'s std::regex recurses once per character: a command line of about 32 KB
// (1,250 photo paths, or ten long ones) overflowed the 8 MB stack (the report: vespa-engine/vespa#37786). Turned
// off while the program loads, before any thread could read the environment; a user's own setting stays.
const bool kTelemetryOff = ::setenv("ORT_DISABLE_TELEMETRY", "1", 0) == 0;

// One environment for the process, never destroyed: an Engine held by a static object may release its sessions
// after any static environment would be gone.
Ort::Env& env() {
  static Ort::Env* environment = new Ort::Env(ORT_LOGGING_LEVEL_ERROR, "facesearch");
  return *environment;
}

Ort::SessionOptions session_options(const NetworkOptions& options) {
  Ort::SessionOptions so;
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  const int threads = options.threads > 0 ? options.threads : std::max(1, cv::getNumThreads());
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  // Idle pool threads sleep rather than spin: on a machine this small they would take cores from the workers.
  so.AddConfigEntry("session.intra_op.allow_spinning", "0");
  if (options.flush_denormals) so.AddConfigEntry("session.set_denormal_as_zero", "1");
  return so;
}

cv::Mat to_mat(const Ort::Value& value, const std::string& name) {
  const Ort::TensorTypeAndShapeInfo info = value.GetTensorTypeAndShapeInfo();
  if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
    throw std::runtime_error("network output '" + name + "' is not float");
  return float_mat(info.GetShape(), value.GetTensorData<float>());
}

class OrtNetwork final : public Network {
 public:
  OrtNetwork(const std::filesystem::path& onnx, const NetworkOptions& options)
      : session_(env(), onnx.c_str(), session_options(options)), flush_denormals_(options.flush_denormals) {
    describe(onnx.string());
  }

  OrtNetwork(const std::string& onnx, const std::string& name, const NetworkOptions& options)
      : session_(env(), onnx.data(), onnx.size(), session_options(options)),
        flush_denormals_(options.flush_denormals) {
    describe(name);
  }

  const char* runtime() const override { return kOnnxRuntime; }
  std::vector<std::string> output_names() const override { return outputs_; }
  std::vector<std::int64_t> input_shape() const override { return input_shape_; }

  std::vector<cv::Mat> run(const cv::Mat& input, const std::vector<std::string>& outputs) override {
    require_float_blob(input);
    const std::vector<std::string>& names = outputs.empty() ? outputs_ : outputs;
    std::vector<const char*> output_ptrs;
    for (const std::string& n : names) output_ptrs.push_back(n.c_str());
    const std::vector<std::int64_t> shape(input.size.p, input.size.p + input.dims);
    const Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    // The blob is only read: ONNX Runtime wraps it without a copy.
    const Ort::Value tensor = Ort::Value::CreateTensor<float>(memory, const_cast<float*>(input.ptr<float>()),
                                                              input.total(), shape.data(), shape.size());
    const char* input_name = input_name_.c_str();
    std::vector<Ort::Value> values;
    {
      FlushDenormals flush(flush_denormals_);
      values = session_.Run(Ort::RunOptions{nullptr}, &input_name, &tensor, 1, output_ptrs.data(),
                            output_ptrs.size());
    }
    std::vector<cv::Mat> outs;
    for (std::size_t i = 0; i < values.size(); ++i) outs.push_back(to_mat(values[i], names[i]));
    return outs;
  }

 private:
  // The session's input and outputs, read once.
  void describe(const std::string& name) {
    if (session_.GetInputCount() != 1)
      throw std::runtime_error(name + ": expected one input, the graph has " +
                               std::to_string(session_.GetInputCount()));
    Ort::AllocatorWithDefaultOptions allocator;
    input_name_ = session_.GetInputNameAllocated(0, allocator).get();
    input_shape_ = session_.GetInputTypeInfo(0).GetTensorTypeAndShapeInfo().GetShape();
    for (std::size_t i = 0; i < session_.GetOutputCount(); ++i)
      outputs_.emplace_back(session_.GetOutputNameAllocated(i, allocator).get());
  }

  Ort::Session session_;
  bool flush_denormals_ = false;
  std::vector<std::int64_t> input_shape_;  // symbolic dims are -1
  std::string input_name_;
  std::vector<std::string> outputs_;
};

}  // namespace

bool onnxruntime_available() { return true; }

std::string ort_version() { return OrtGetApiBase()->GetVersionString(); }

std::unique_ptr<Network> load_ort_network(const std::filesystem::path& onnx, const NetworkOptions& options) {
  if (!std::filesystem::is_regular_file(onnx)) throw std::runtime_error("cannot read model " + onnx.string());
  return std::make_unique<OrtNetwork>(onnx, options);
}

std::unique_ptr<Network> load_ort_network_bytes(const std::string& onnx, const std::string& name,
                                                const NetworkOptions& options) {
  return std::make_unique<OrtNetwork>(onnx, name, options);
}

}  // namespace facesearch::infer
