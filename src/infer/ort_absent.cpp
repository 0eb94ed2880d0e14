// Built when FACESEARCH_ONNXRUNTIME is OFF or ONNX Runtime was not found: every network runs on OpenCV DNN.
#include <stdexcept>

#include "infer/ort_network.hpp"

namespace facesearch::infer {

bool onnxruntime_available() { return false; }
std::string ort_version() { return {}; }
std::unique_ptr<Network> load_ort_network(const std::filesystem::path&, const NetworkOptions&) {
  throw std::runtime_error("this build has no ONNX Runtime");
}
std::unique_ptr<Network> load_ort_network_bytes(const std::string&, const std::string&, const NetworkOptions&) {
  throw std::runtime_error("this build has no ONNX Runtime");
}

}  // namespace facesearch::infer
