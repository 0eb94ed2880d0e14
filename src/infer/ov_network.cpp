// Networks on OpenVINO's CPU plugin, through its C API (the headers and libraries come from Intel's PyPI wheel,
// scripts/fetch-openvino.sh; see docs/MODELS.md). The C API keeps this file independent of the C++ ABI the
// wheel was built with.
#include "infer/ov_network.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <openvino/c/openvino.h>

#include "infer/blob.hpp"
#include "infer/denormals.hpp"

namespace facesearch::infer {

namespace {

void check(ov_status_e status, const std::string& what) {
  if (status == ov_status_e::OK) return;
  const char* message = ov_get_last_err_msg();
  throw std::runtime_error(what + ": OpenVINO error " + std::to_string(static_cast<int>(status)) +
                           (message && *message ? std::string(" (") + message + ")" : std::string()));
}

// One core for the process, never destroyed: an Engine held by a static object may release its networks after
// any static core would be gone.
ov_core_t* core() {
  static ov_core_t* the_core = [] {
    ov_core_t* c = nullptr;
    check(ov_core_create(&c), "creating the OpenVINO core");
    return c;
  }();
  return the_core;
}

// The dims of a port, -1 where symbolic.
std::vector<std::int64_t> dims_of(const ov_output_const_port_t* port) {
  ov_partial_shape_t shape{};
  check(ov_port_get_partial_shape(port, &shape), "reading an input shape");
  std::vector<std::int64_t> dims;
  for (std::int64_t i = 0; i < shape.rank.max; ++i)
    dims.push_back(shape.dims[i].min == shape.dims[i].max ? shape.dims[i].min : -1);
  ov_partial_shape_free(&shape);
  return dims;
}

class OvNetwork final : public Network {
 public:
  // Takes the model read from a file or from memory, fixes its input to the shape the caller feeds, compiles it.
  OvNetwork(ov_model_t* model, const std::string& name, const NetworkOptions& options) {
    try {
      compile(model, name, options);
    } catch (...) {
      ov_model_free(model);
      release();
      throw;
    }
    ov_model_free(model);
  }
  ~OvNetwork() override { release(); }
  OvNetwork(const OvNetwork&) = delete;
  OvNetwork& operator=(const OvNetwork&) = delete;

  const char* runtime() const override { return kOpenVino; }
  std::vector<std::string> output_names() const override { return outputs_; }
  std::vector<std::int64_t> input_shape() const override { return input_shape_; }

  std::vector<cv::Mat> run(const cv::Mat& input, const std::vector<std::string>& outputs) override {
    require_float_blob(input);
    const std::vector<std::int64_t> dims(input.size.p, input.size.p + input.dims);
    ov_shape_t shape{};
    check(ov_shape_create(static_cast<std::int64_t>(dims.size()), dims.data(), &shape), "input shape");
    ov_tensor_t* tensor = nullptr;
    // The blob is only read: OpenVINO wraps it without a copy.
    const ov_status_e made = ov_tensor_create_from_host_ptr(F32, shape, const_cast<float*>(input.ptr<float>()), &tensor);
    ov_shape_free(&shape);
    check(made, "input tensor");
    const ov_status_e set = ov_infer_request_set_input_tensor_by_index(request_, 0, tensor);
    ov_status_e ran = set;
    if (set == ov_status_e::OK) {
      FlushDenormals flush(flush_denormals_);
      ran = ov_infer_request_infer(request_);
    }
    ov_tensor_free(tensor);
    check(ran, "running " + name_);
    std::vector<cv::Mat> outs;
    for (const std::string& wanted : outputs.empty() ? outputs_ : outputs) {
      const auto at = std::find(outputs_.begin(), outputs_.end(), wanted);
      if (at == outputs_.end()) throw std::runtime_error(name_ + " has no output '" + wanted + "'");
      outs.push_back(output(static_cast<std::size_t>(at - outputs_.begin()), wanted));
    }
    return outs;
  }

 private:
  void compile(ov_model_t* model, const std::string& name, const NetworkOptions& options) {
    name_ = name;
    flush_denormals_ = options.flush_denormals;
    std::size_t inputs = 0, count = 0;
    check(ov_model_inputs_size(model, &inputs), name);
    if (inputs != 1) throw std::runtime_error(name + ": expected one input, the graph has " + std::to_string(inputs));
    ov_output_const_port_t* port = nullptr;
    check(ov_model_const_input_by_index(model, 0, &port), name);
    input_shape_ = dims_of(port);
    ov_output_const_port_free(port);
    // A fixed input compiles to faster code than a symbolic one: fix it to what the caller feeds.
    const std::vector<std::int64_t>& fed = options.input_shape;
    if (!fed.empty() && fed != input_shape_) {
      ov_partial_shape_t fixed{};
      check(ov_partial_shape_create_static(static_cast<std::int64_t>(fed.size()), fed.data(), &fixed), name);
      const ov_status_e reshaped = ov_model_reshape_single_input(model, fixed);
      ov_partial_shape_free(&fixed);
      check(reshaped, name + ": cannot take an input of the fed shape");
      input_shape_ = fed;
    }
    check(ov_model_outputs_size(model, &count), name);
    for (std::size_t i = 0; i < count; ++i) {
      check(ov_model_const_output_by_index(model, i, &port), name);
      char* output_name = nullptr;
      const ov_status_e named = ov_port_get_any_name(port, &output_name);
      ov_output_const_port_free(port);
      check(named, name + ": an output without a name");
      outputs_.emplace_back(output_name);
      ov_free(output_name);
    }
    const std::string threads =
        std::to_string(options.threads > 0 ? options.threads : std::max(1, cv::getNumThreads()));
    // No pinning: the scan workers and other programs share these cores. Denormals flushed for every network, not
    // only where NetworkOptions asks: the networks of a process share the plugin's threads, whose mode the first
    // network compiled sets, so a detector compiled without it left the recogniser after it 15x slower (measured).
    // Precision "f32" is spelled out: on a CPU with AMX the plugin would otherwise choose bf16 by itself, which
    // "auto" lets it do.
    const char* threads_key = ov_property_key_inference_num_threads;
    const char* streams_key = ov_property_key_num_streams;
    const char* hint_key = ov_property_key_hint_performance_mode;
    const char* pinning_key = ov_property_key_hint_enable_cpu_pinning;
    const char* denormals_key = "CPU_DENORMALS_OPTIMIZATION";
    if (options.precision != "f32" && options.precision != "auto")
      throw std::runtime_error(name + ": unknown precision '" + options.precision + "' (known: f32, auto)");
    const ov_status_e compiled =
        options.precision == "f32"
            ? ov_core_compile_model(core(), model, "CPU", 12, &compiled_, threads_key, threads.c_str(), streams_key,
                                    "1", hint_key, "LATENCY", pinning_key, "NO", denormals_key, "YES",
                                    ov_property_key_hint_inference_precision, "f32")
            : ov_core_compile_model(core(), model, "CPU", 10, &compiled_, threads_key, threads.c_str(), streams_key,
                                    "1", hint_key, "LATENCY", pinning_key, "NO", denormals_key, "YES");
    check(compiled, "compiling " + name + " for the CPU");
    check(ov_compiled_model_create_infer_request(compiled_, &request_), name);
  }

  cv::Mat output(std::size_t index, const std::string& name) {
    ov_tensor_t* tensor = nullptr;
    check(ov_infer_request_get_output_tensor_by_index(request_, index, &tensor), "output " + name);
    ov_shape_t shape{};
    void* data = nullptr;
    ov_element_type_e type{};
    ov_status_e status = ov_tensor_get_element_type(tensor, &type);
    if (status == ov_status_e::OK) status = ov_tensor_data(tensor, &data);
    if (status == ov_status_e::OK) status = ov_tensor_get_shape(tensor, &shape);
    cv::Mat m;
    if (status == ov_status_e::OK) {
      const std::span<const std::int64_t> dims(shape.dims, static_cast<std::size_t>(shape.rank));
      if (type == F32) m = float_mat(dims, static_cast<const float*>(data));
      ov_shape_free(&shape);
    }
    ov_tensor_free(tensor);
    check(status, "output " + name);
    if (type != F32) throw std::runtime_error("network output '" + name + "' is not float");
    return m;
  }

  void release() {
    if (request_) ov_infer_request_free(request_);
    if (compiled_) ov_compiled_model_free(compiled_);
    request_ = nullptr;
    compiled_ = nullptr;
  }

  std::string name_;
  bool flush_denormals_ = false;
  ov_compiled_model_t* compiled_ = nullptr;
  ov_infer_request_t* request_ = nullptr;
  std::vector<std::int64_t> input_shape_;  // symbolic dims are -1
  std::vector<std::string> outputs_;
};

}  // namespace

bool openvino_available() { return true; }

std::string ov_version() {
  ov_version_t version{};
  if (ov_get_openvino_version(&version) != ov_status_e::OK) return {};
  std::string number = version.buildNumber ? version.buildNumber : "";
  ov_version_free(&version);
  // "2026.4.1-22982-e213a147257-releases/2026/4": the release is what comes before the first '-'.
  return number.substr(0, number.find('-'));
}

std::unique_ptr<Network> load_ov_network(const std::filesystem::path& onnx, const NetworkOptions& options) {
  if (!std::filesystem::is_regular_file(onnx)) throw std::runtime_error("cannot read model " + onnx.string());
  ov_model_t* model = nullptr;
  check(ov_core_read_model(core(), onnx.c_str(), nullptr, &model), "reading " + onnx.string());
  return std::make_unique<OvNetwork>(model, onnx.filename().string(), options);
}

std::unique_ptr<Network> load_ov_network_bytes(const std::string& onnx, const std::string& name,
                                               const NetworkOptions& options) {
  ov_model_t* model = nullptr;
  check(ov_core_read_model_from_memory_buffer(core(), onnx.data(), onnx.size(), nullptr, &model), "reading " + name);
  return std::make_unique<OvNetwork>(model, name, options);
}

}  // namespace facesearch::infer
