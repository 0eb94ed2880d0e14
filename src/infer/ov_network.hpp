// The OpenVINO side of infer/network.hpp: ov_network.cpp when the build has OpenVINO, ov_absent.cpp when it does
// not (CMake option FACESEARCH_OPENVINO). Only infer/network.cpp calls these.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "infer/network.hpp"

namespace facesearch::infer {

bool openvino_available();
std::string ov_version();
// Throws std::runtime_error when the file cannot be read, converted or compiled for the CPU.
std::unique_ptr<Network> load_ov_network(const std::filesystem::path& onnx, const NetworkOptions& options);
// The same for a serialized ONNX model in memory; `name` stands for it in messages.
std::unique_ptr<Network> load_ov_network_bytes(const std::string& onnx, const std::string& name,
                                               const NetworkOptions& options);

}  // namespace facesearch::infer
