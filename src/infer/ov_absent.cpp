// Built when FACESEARCH_OPENVINO is OFF or OpenVINO was not found: no network runs on OpenVINO.
#include <stdexcept>

#include "infer/ov_network.hpp"

namespace facesearch::infer {

bool openvino_available() { return false; }
std::string ov_version() { return {}; }
std::unique_ptr<Network> load_ov_network(const std::filesystem::path&, const NetworkOptions&) {
  throw std::runtime_error("this build has no OpenVINO");
}
std::unique_ptr<Network> load_ov_network_bytes(const std::string&, const std::string&, const NetworkOptions&) {
  throw std::runtime_error("this build has no OpenVINO");
}

}  // namespace facesearch::infer
