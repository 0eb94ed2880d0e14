// The seam between the stages and the library that runs their ONNX networks: OpenCV DNN, ONNX Runtime or OpenVINO
// (the last two when the build has them: CMake options FACESEARCH_ONNXRUNTIME, FACESEARCH_OPENVINO). Detectors,
// landmarkers and recognisers build a blob, call run(), and decode the outputs; they never name the runtime.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

namespace facesearch::infer {

inline constexpr const char* kOpenCv = "opencv";
inline constexpr const char* kOnnxRuntime = "onnxruntime";
inline constexpr const char* kOpenVino = "openvino";

// What a network is for, which decides its default runtime (default_runtime).
enum class Role { Detection, Recognition };

class Network {
 public:
  virtual ~Network() = default;
  // "opencv", "onnxruntime" or "openvino".
  virtual const char* runtime() const = 0;
  // The graph's outputs, in the order run() returns them when asked for none by name.
  virtual std::vector<std::string> output_names() const = 0;
  // The input's shape as the network takes it: -1 for a symbolic dim.
  virtual std::vector<std::int64_t> input_shape() const = 0;
  // Whether run() takes a batch of several inputs in one call (a symbolic first dim).
  bool batches() const {
    const auto shape = input_shape();
    return !shape.empty() && shape[0] < 0;
  }
  // One forward pass on a float NCHW blob (cv::dnn::blobFromImage's layout): the outputs named in `outputs`, in
  // that order, or every output. Each output is a continuous CV_32F Mat with the network's shape (rank >= 2).
  virtual std::vector<cv::Mat> run(const cv::Mat& input, const std::vector<std::string>& outputs = {}) = 0;
};

struct NetworkOptions {
  // "opencv", "onnxruntime", "openvino", or empty for default_runtime(role). A default runtime unable to load the
  // file falls back to the next one (OpenCV last); a runtime asked for by name must work.
  std::string runtime;
  // The input shape the caller feeds (batch 1), or empty. OpenCV 4.6 refuses symbolic input dims: the file's are
  // fixed to this shape first (infer/onnx_static.hpp); OpenVINO fixes them too (faster code). ONNX Runtime takes
  // the file as it is; where the file fixes a dim to another value (a fully convolutional detector run at another
  // size), OpenVINO reshapes the graph, and ONNX Runtime leaves it to the next runtime.
  std::vector<std::int64_t> input_shape;
  // Flush denormal floats to zero while the network runs (ONNX Runtime, OpenVINO): on the default pack's
  // recogniser ONNX Runtime is 5x slower without it (denormal arithmetic is slow on x86), with the same results.
  bool flush_denormals = false;
  // Threads inside one forward pass; 0: as many as OpenCV uses at load time, which the batch (engine/batch.cpp)
  // sets to 1 while it runs one engine per core, so networks never compete with the workers for the cores.
  int threads = 0;
  Role role = Role::Detection;
  // "f32": every runtime computes in f32. "auto": OpenVINO may compute in bf16 where the CPU does so natively
  // (AMX, AVX512-BF16; f32 elsewhere), ~2.5x faster on the default recogniser here, embeddings within a cosine of
  // 0.996 of f32 and LFW unchanged (docs/MODELS.md, "Inference runtime"); the other runtimes compute in f32.
  std::string precision = "f32";
};

// Loads an ONNX file. Throws std::runtime_error when it cannot be read or loaded, or the runtime is unknown.
std::unique_ptr<Network> load_network(const std::filesystem::path& onnx, const NetworkOptions& options = {});

// A model made in memory (a TF.js graph rebuilt as ONNX, infer/onnx_writer.hpp; `name` stands for it in messages),
// on the runtime the options ask for, with the same fallbacks as load_network.
std::unique_ptr<Network> load_network_bytes(const std::string& onnx, const std::string& name,
                                            const NetworkOptions& options = {});

// The runtime a network gets when neither its pack nor its caller names one: $FACESEARCH_RUNTIME when set, else
// the fastest this build has for its role, measured on this project's networks (docs/PERFORMANCE.md, "Runtimes"):
// OpenVINO for recognisers (~3x ONNX Runtime), ONNX Runtime for detectors and landmarkers; OpenCV DNN without both.
std::string default_runtime(Role role = Role::Detection);
// The runtimes this build can use, "opencv" first.
std::vector<std::string> available_runtimes();
// How messages and reports name a runtime: "OpenCV DNN", "ONNX Runtime", "OpenVINO".
std::string runtime_label(const std::string& runtime);
// The ONNX Runtime version linked in ("1.29.0"), or empty.
std::string onnxruntime_version();
// The OpenVINO release linked in ("2026.4.1"), or empty.
std::string openvino_version();

// What the stages' parameters call it: params "runtime" when the pack names one, else empty (the default).
template <typename Json>
std::string runtime_of(const Json& params) {
  return params.contains("runtime") ? params.at("runtime").template get<std::string>() : std::string();
}

}  // namespace facesearch::infer
