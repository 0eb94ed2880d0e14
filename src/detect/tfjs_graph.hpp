// A TF.js graph model (model.json: a TensorFlow GraphDef written as JSON, plus binary weight shards next to it)
// rebuilt as an ONNX model in memory at load time, which either runtime runs (infer/network.hpp): neither reads
// TF.js, and nothing converted is written to disk, so the files verified by their sha256 are exactly the package's.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/tfjs_weights.hpp"

namespace facesearch {

class TfjsGraph {
 public:
  // Reads the topology and every weight (shards looked up in the model file's folder). Throws
  // std::runtime_error on a file that is not a TF.js graph model.
  explicit TfjsGraph(const std::filesystem::path& model_json);

  // Names of the nodes running `op`, in graph order.
  std::vector<std::string> nodes_with_op(const std::string& op) const;
  // The data inputs of a node (port suffixes ":n" dropped).
  std::vector<std::string> inputs_of(const std::string& node) const;

  // The part of the graph computing the nodes `outputs` from its Placeholder, as a serialized ONNX model
  // (infer/onnx_writer.hpp) with one input "input", an NCHW float blob of 1 x 3 x height x width; each output keeps
  // its node name and comes out NCHW. Covers the ops of convolutional detectors (Conv2D, depthwise convolution,
  // their fused forms with BiasAdd / Relu / Relu6, AddV2, Relu, Relu6, MaxPool, Pad, Identity);
  // std::runtime_error names an op outside that set.
  std::string to_onnx(const std::vector<std::string>& outputs, int height, int width) const;

 private:
  const nlohmann::json& node(const std::string& name) const;
  const TfjsTensor& constant(const std::string& name) const;

  std::filesystem::path file_;
  nlohmann::json nodes_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, TfjsTensor> weights_;
};

}  // namespace facesearch
