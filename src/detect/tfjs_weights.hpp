// Reading the weights of a TF.js model: a manifest (a list of weight groups) and its binary shards. Shared by
// the TF.js networks rebuilt in OpenCV DNN (the dlib recogniser, the TF.js graph detectors).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>

namespace facesearch {

// One tensor of a TF.js weights file, as float32 (quantised tensors dequantised, int32 converted).
struct TfjsTensor {
  std::vector<int> shape;
  std::vector<float> values;
};

// Reads a TF.js weights manifest file (a list of groups, each with its shard "paths" and its "weights": name,
// shape, dtype float32|int32, optional "quantization" {dtype uint8|uint16 with scale and min, or float16}) and
// the shards, which are looked up in `shard_dir`. Throws std::runtime_error on a missing shard, an unknown
// dtype, or a size mismatch.
std::map<std::string, TfjsTensor> read_tfjs_weights(const std::filesystem::path& manifest,
                                                    const std::filesystem::path& shard_dir);
// The same for the groups already parsed (a graph model's "weightsManifest"); `what` names them in errors.
std::map<std::string, TfjsTensor> read_tfjs_weight_groups(const nlohmann::json& groups,
                                                          const std::filesystem::path& shard_dir,
                                                          const std::string& what);

// A JSON file of a TF.js model; std::runtime_error naming `what` and the file when unreadable or not JSON.
nlohmann::json read_tfjs_json(const std::filesystem::path& file, const std::string& what);

// The window of an OpenCV DNN convolution or pooling layer: kernel and strides (h, w). Used by the TF.js networks
// rebuilt layer by layer.
void set_window(cv::dnn::LayerParams& lp, int kernel_h, int kernel_w, int stride_h, int stride_w);

}  // namespace facesearch
