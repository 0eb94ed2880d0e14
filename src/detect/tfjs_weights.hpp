// Reading the weights of a TF.js model: a manifest (a list of weight groups) and its binary shards. Shared by
// the TF.js networks rebuilt in OpenCV DNN (the dlib recogniser, the TF.js graph detectors).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

}  // namespace facesearch
