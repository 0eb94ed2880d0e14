// Fixing an ONNX model's dynamic input shape in its bytes, because OpenCV 4.6 refuses to import graphs whose
// input dims are symbolic ("dynamic Shape not supported"). A minimal protobuf rewriter: no onnx or protobuf
// dependency.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace facesearch {

// The bytes are not a well-formed ONNX model (truncated, garbage, unexpected layout).
class OnnxFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OnnxStaticOptions {
  // Also drop GraphProto.value_info (inferred shapes of intermediate values), which may still carry the old
  // symbolic dims. OpenCV does not need it: it infers shapes itself.
  bool strip_value_info = false;
};

// Returns a copy of `model` (a serialized ModelProto) in which every real graph input (an input that is not
// also an initializer) has the shape `dims`: dims given as dim_param or left unset become dim_value; dims
// that are already static are kept. Everything else is copied byte for byte. Throws OnnxFormatError when the
// bytes do not parse, there is no graph or no real input, or an input's rank differs from dims.size().
std::string make_onnx_inputs_static(std::string_view model, const std::vector<std::int64_t>& dims,
                                    const OnnxStaticOptions& options = {});

// Reads an ONNX file and makes its inputs static as above (for OpenCV's DNN module, infer/network.cpp). Throws
// std::runtime_error when the file cannot be read, OnnxFormatError (naming the file) when it does not parse.
std::string read_onnx_static(const std::filesystem::path& onnx, const std::vector<std::int64_t>& dims);

}  // namespace facesearch
