// The ONNX Runtime side of infer/network.hpp: ort_network.cpp when the build has ONNX Runtime, ort_absent.cpp when
// it does not (CMake option FACESEARCH_ONNXRUNTIME). Only infer/network.cpp calls these.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "infer/network.hpp"

namespace facesearch::infer {

bool onnxruntime_available();
std::string ort_version();
// Throws std::runtime_error (or an Ort::Exception, a std::exception) when the file cannot be loaded.
std::unique_ptr<Network> load_ort_network(const std::filesystem::path& onnx, const NetworkOptions& options);
// The same for a serialized model in memory; `name` stands for it in messages.
std::unique_ptr<Network> load_ort_network_bytes(const std::string& onnx, const std::string& name,
                                                const NetworkOptions& options);

}  // namespace facesearch::infer
