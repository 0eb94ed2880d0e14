// Writing a small ONNX model in memory: the graph of a network that comes in another format (a TF.js graph,
// detect/tfjs_graph.hpp) rebuilt as ONNX so that either runtime (infer/network.hpp) can run it. Only what such
// convolutional graphs need: float and int64 initializers, nodes with int, float, string and int-list attributes,
// one float input of a fixed shape, float outputs. A protobuf encoder of the few ONNX messages involved, so no
// onnx or protobuf dependency (like infer/onnx_static.hpp on the reading side).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace facesearch::infer {

using OnnxAttribute = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>>;

class OnnxModelWriter {
 public:
  // The graph's one input: float, of this fixed shape.
  OnnxModelWriter(std::string input_name, std::vector<std::int64_t> input_shape);

  void add_initializer(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& values);
  void add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                       const std::vector<std::int64_t>& values);
  void add_node(const std::string& op_type, const std::vector<std::string>& inputs, const std::string& output,
                const std::vector<std::pair<std::string, OnnxAttribute>>& attributes = {});
  // A graph output: a float tensor of this rank, its dims left unknown (OpenCV's importer wants a shape).
  void add_output(const std::string& name, int rank);

  // The serialized ModelProto (IR version 8, default domain opset 13).
  std::string serialize() const;

 private:
  std::string input_name_;
  std::vector<std::int64_t> input_shape_;
  std::string nodes_, initializers_;  // encoded repeated fields of the GraphProto
  std::vector<std::pair<std::string, int>> outputs_;
};

}  // namespace facesearch::infer
