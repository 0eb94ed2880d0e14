#include "infer/onnx_writer.hpp"

#include <cstring>

namespace facesearch::infer {

namespace {

// Protobuf wire format: a field is its key (number << 3 | wire type) then a varint, a 32-bit value, or a length
// and bytes. Field numbers are those of onnx.proto.
constexpr int kVarint = 0, kLengthDelimited = 2, kFixed32 = 5;

void varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void key(std::string& out, int field, int wire) { varint(out, static_cast<std::uint64_t>(field) << 3 | wire); }
void int_field(std::string& out, int field, std::int64_t v) {
  key(out, field, kVarint);
  varint(out, static_cast<std::uint64_t>(v));  // negative values take ten bytes, as protobuf writes them
}
void bytes_field(std::string& out, int field, const std::string& bytes) {
  key(out, field, kLengthDelimited);
  varint(out, bytes.size());
  out += bytes;
}
void float_field(std::string& out, int field, float v) {
  key(out, field, kFixed32);
  char raw[4];
  std::memcpy(raw, &v, 4);  // little-endian, as x86 stores it
  out.append(raw, 4);
}

// TensorProto.DataType
constexpr int kFloat = 1, kInt64 = 7;

std::string tensor(const std::string& name, const std::vector<std::int64_t>& dims, int type, const void* data,
                   std::size_t bytes) {
  std::string t;
  for (std::int64_t d : dims) int_field(t, 1, d);  // dims
  int_field(t, 2, type);                           // data_type
  bytes_field(t, 8, name);                         // name
  bytes_field(t, 9, std::string(static_cast<const char*>(data), bytes));  // raw_data
  return t;
}

// ValueInfoProto of a float tensor of this shape; a negative dim is left unknown.
std::string float_value_info(const std::string& name, const std::vector<std::int64_t>& shape) {
  std::string tensor_type;
  int_field(tensor_type, 1, kFloat);  // elem_type
  std::string shape_proto;
  for (std::int64_t d : shape) {
    std::string dim;
    if (d >= 0) int_field(dim, 1, d);  // dim_value
    bytes_field(shape_proto, 1, dim);
  }
  bytes_field(tensor_type, 2, shape_proto);
  std::string type;
  bytes_field(type, 1, tensor_type);  // TypeProto.tensor_type
  std::string info;
  bytes_field(info, 1, name);
  bytes_field(info, 2, type);
  return info;
}

// AttributeProto.AttributeType
constexpr int kAttrFloat = 1, kAttrInt = 2, kAttrString = 3, kAttrInts = 7;

std::string attribute(const std::string& name, const OnnxAttribute& value) {
  std::string a;
  bytes_field(a, 1, name);
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    int_field(a, 3, *i);
    int_field(a, 20, kAttrInt);
  } else if (const auto* f = std::get_if<float>(&value)) {
    float_field(a, 2, *f);
    int_field(a, 20, kAttrFloat);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    bytes_field(a, 4, *s);
    int_field(a, 20, kAttrString);
  } else {
    for (std::int64_t v : std::get<std::vector<std::int64_t>>(value)) int_field(a, 8, v);
    int_field(a, 20, kAttrInts);
  }
  return a;
}

}  // namespace

OnnxModelWriter::OnnxModelWriter(std::string input_name, std::vector<std::int64_t> input_shape)
    : input_name_(std::move(input_name)), input_shape_(std::move(input_shape)) {}

void OnnxModelWriter::add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                      const std::vector<float>& values) {
  bytes_field(initializers_, 5, tensor(name, dims, kFloat, values.data(), values.size() * sizeof(float)));
}

void OnnxModelWriter::add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                      const std::vector<std::int64_t>& values) {
  bytes_field(initializers_, 5, tensor(name, dims, kInt64, values.data(), values.size() * sizeof(std::int64_t)));
}

void OnnxModelWriter::add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                               const std::string& output,
                               const std::vector<std::pair<std::string, OnnxAttribute>>& attributes) {
  std::string node;
  for (const std::string& in : inputs) bytes_field(node, 1, in);
  bytes_field(node, 2, output);
  bytes_field(node, 3, output);  // the node is named after what it makes
  bytes_field(node, 4, op_type);
  for (const auto& [name, value] : attributes) bytes_field(node, 5, attribute(name, value));
  bytes_field(nodes_, 1, node);
}

void OnnxModelWriter::add_output(const std::string& name, int rank) { outputs_.emplace_back(name, rank); }

std::string OnnxModelWriter::serialize() const {
  std::string graph = nodes_;
  bytes_field(graph, 2, "facesearch");
  graph += initializers_;
  bytes_field(graph, 11, float_value_info(input_name_, input_shape_));
  for (const auto& [out, rank] : outputs_)
    bytes_field(graph, 12, float_value_info(out, std::vector<std::int64_t>(static_cast<std::size_t>(rank), -1)));
  std::string opset;
  bytes_field(opset, 1, "");
  int_field(opset, 2, 13);
  std::string model;
  int_field(model, 1, 8);  // ir_version
  bytes_field(model, 2, "facesearch");  // producer_name
  bytes_field(model, 7, graph);
  bytes_field(model, 8, opset);
  return model;
}

}  // namespace facesearch::infer
