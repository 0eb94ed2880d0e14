#include "infer/onnx_writer.hpp"

#include "infer/protobuf_wire.hpp"

namespace facesearch::infer {

namespace {

using namespace protobuf;  // field numbers below are those of onnx.proto

// TensorProto.DataType
constexpr int kFloat = 1, kInt64 = 7;

std::string tensor(const std::string& name, const std::vector<std::int64_t>& dims, int type, const void* data,
                   std::size_t bytes) {
  std::string t;
  for (std::int64_t d : dims) put_int(t, 1, d);                                // dims
  put_int(t, 2, type);                                                         // data_type
  put_message(t, 8, name);                                                     // name
  put_message(t, 9, std::string_view(static_cast<const char*>(data), bytes));  // raw_data
  return t;
}

// ValueInfoProto of a float tensor of this shape; a negative dim is left unknown.
std::string float_value_info(const std::string& name, const std::vector<std::int64_t>& shape) {
  std::string tensor_type;
  put_int(tensor_type, 1, kFloat);                 // elem_type
  put_message(tensor_type, 2, onnx_shape(shape));  // shape
  std::string type;
  put_message(type, 1, tensor_type);  // TypeProto.tensor_type
  std::string info;
  put_message(info, 1, name);
  put_message(info, 2, type);
  return info;
}

// AttributeProto.AttributeType
constexpr int kAttrFloat = 1, kAttrInt = 2, kAttrString = 3, kAttrInts = 7;

std::string attribute(const std::string& name, const OnnxAttribute& value) {
  std::string a;
  put_message(a, 1, name);
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    put_int(a, 3, *i);
    put_int(a, 20, kAttrInt);
  } else if (const auto* f = std::get_if<float>(&value)) {
    put_float(a, 2, *f);
    put_int(a, 20, kAttrFloat);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    put_message(a, 4, *s);
    put_int(a, 20, kAttrString);
  } else {
    for (std::int64_t v : std::get<std::vector<std::int64_t>>(value)) put_int(a, 8, v);
    put_int(a, 20, kAttrInts);
  }
  return a;
}

}  // namespace

OnnxModelWriter::OnnxModelWriter(std::string input_name, std::vector<std::int64_t> input_shape)
    : input_name_(std::move(input_name)), input_shape_(std::move(input_shape)) {}

void OnnxModelWriter::add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                      const std::vector<float>& values) {
  put_message(initializers_, 5, tensor(name, dims, kFloat, values.data(), values.size() * sizeof(float)));
}

void OnnxModelWriter::add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                      const std::vector<std::int64_t>& values) {
  put_message(initializers_, 5, tensor(name, dims, kInt64, values.data(), values.size() * sizeof(std::int64_t)));
}

void OnnxModelWriter::add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                               const std::string& output,
                               const std::vector<std::pair<std::string, OnnxAttribute>>& attributes) {
  std::string node;
  for (const std::string& in : inputs) put_message(node, 1, in);
  put_message(node, 2, output);
  put_message(node, 3, output);  // the node is named after what it makes
  put_message(node, 4, op_type);
  for (const auto& [name, value] : attributes) put_message(node, 5, attribute(name, value));
  put_message(nodes_, 1, node);
}

void OnnxModelWriter::add_output(const std::string& name, int rank) { outputs_.emplace_back(name, rank); }

std::string OnnxModelWriter::serialize() const {
  std::string graph = nodes_;
  put_message(graph, 2, "facesearch");
  graph += initializers_;
  put_message(graph, 11, float_value_info(input_name_, input_shape_));
  for (const auto& [out, rank] : outputs_)
    put_message(graph, 12, float_value_info(out, std::vector<std::int64_t>(static_cast<std::size_t>(rank), -1)));
  std::string opset;
  put_message(opset, 1, "");
  put_int(opset, 2, 13);
  std::string model;
  put_int(model, 1, 8);  // ir_version
  put_message(model, 2, "facesearch");  // producer_name
  put_message(model, 7, graph);
  put_message(model, 8, opset);
  return model;
}

}  // namespace facesearch::infer
