#include "infer/onnx_static.hpp"

#include "infer/protobuf_wire.hpp"

#include <fstream>
#include <iterator>
#include <set>

// Protobuf wire format (infer/protobuf_wire.hpp): nested messages are length-delimited fields, so changing one means
// re-encoding the length of every message around it.

namespace facesearch {

namespace {

using namespace protobuf;

// ONNX field numbers (onnx.proto) on the path from the model to an input's dims.
constexpr std::uint32_t kModelGraph = 7;                                                     // ModelProto
constexpr std::uint32_t kGraphInitializer = 5, kGraphInput = 11, kGraphValueInfo = 13;      // GraphProto
constexpr std::uint32_t kTensorName = 8;                                                     // TensorProto
constexpr std::uint32_t kValueInfoName = 1, kValueInfoType = 2;                              // ValueInfoProto
constexpr std::uint32_t kTypeTensor = 1;                                                     // TypeProto
constexpr std::uint32_t kTensorShape = 2;                                                    // TypeProto.Tensor
constexpr std::uint32_t kShapeDim = 1;                                                       // TensorShapeProto
constexpr std::uint32_t kDimValue = 1, kDimParam = 2;                                        // Dimension

struct Field {
  std::uint32_t number = 0;
  int wire = 0;
  std::uint64_t value = 0;   // wire type 0
  std::string_view payload;  // wire type 2: the bytes inside
  std::string_view raw;      // the whole field, tag included, for copying it unchanged
};

[[noreturn]] void fail(const std::string& what) { throw OnnxFormatError("not a valid ONNX model: " + what); }

class Reader {
 public:
  Reader(std::string_view data, const char* what) : data_(data), what_(what) {}
  bool done() const { return pos_ == data_.size(); }

  Field next() {
    Field f;
    const std::size_t start = pos_;
    const std::uint64_t tag = varint();
    f.number = static_cast<std::uint32_t>(tag >> 3);
    f.wire = static_cast<int>(tag & 7);
    if (f.number == 0 || tag >> 32) fail(std::string("bad field number in ") + what_);
    switch (f.wire) {
      case kVarint:
        f.value = varint();
        break;
      case kFixed64:
        skip(8);
        break;
      case kFixed32:
        skip(4);
        break;
      case kLengthDelimited: {
        const std::uint64_t len = varint();
        if (len > data_.size() - pos_) fail(std::string("truncated ") + what_);
        f.payload = data_.substr(pos_, static_cast<std::size_t>(len));
        pos_ += static_cast<std::size_t>(len);
        break;
      }
      default:  // 3 and 4 are proto2 groups, which ONNX never uses; 6 and 7 do not exist
        fail("unsupported wire type " + std::to_string(f.wire) + " in " + what_);
    }
    f.raw = data_.substr(start, pos_ - start);
    return f;
  }

 private:
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == data_.size()) fail(std::string("truncated ") + what_);
      const auto byte = static_cast<std::uint8_t>(data_[pos_++]);
      // The 10th byte may only contribute the top bit of a 64-bit value.
      if (shift == 63 && byte > 1) fail(std::string("overlong varint in ") + what_);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail(std::string("overlong varint in ") + what_);
  }
  void skip(std::size_t n) {
    if (n > data_.size() - pos_) fail(std::string("truncated ") + what_);
    pos_ += n;
  }

  std::string_view data_;
  const char* what_;
  std::size_t pos_ = 0;
};

void expect_wire(const Field& f, int wire, const char* what) {
  if (f.wire != wire) fail(std::string("unexpected wire type for ") + what);
}

std::string static_dim(std::string_view dim, std::int64_t value) {
  std::string out;
  bool has_value = false;
  for (Reader r(dim, "TensorShapeProto.Dimension"); !r.done();) {
    Field f = r.next();
    if (f.number == kDimValue) {
      expect_wire(f, kVarint, "Dimension.dim_value");
      has_value = true;
    }
    if (f.number == kDimParam) continue;  // the symbolic name goes: dim_value and dim_param are a oneof
    out.append(f.raw);
  }
  if (has_value) return std::string(dim);  // already static: keep it exactly as it was
  put_int(out, kDimValue, value);
  return out;
}

std::string static_shape(std::string_view shape, const std::vector<std::int64_t>& dims) {
  std::string out;
  std::size_t rank = 0;
  for (Reader r(shape, "TensorShapeProto"); !r.done();) {
    Field f = r.next();
    if (f.number != kShapeDim) {
      out.append(f.raw);
      continue;
    }
    expect_wire(f, kLengthDelimited, "TensorShapeProto.dim");
    if (rank >= dims.size()) fail("input has more than " + std::to_string(dims.size()) + " dims");
    put_message(out, kShapeDim, static_dim(f.payload, dims[rank++]));
  }
  if (rank != dims.size())
    fail("input has " + std::to_string(rank) + " dims, expected " + std::to_string(dims.size()));
  return out;
}

// Copies `message` field by field, passing the payload of each `field` (a nested message) through `rewrite`.
// Returns whether the field was there.
template <typename Rewrite>
bool rewrite_nested(std::string& out, std::string_view message, const char* what, std::uint32_t field,
                    const char* field_what, Rewrite rewrite) {
  bool found = false;
  for (Reader r(message, what); !r.done();) {
    Field f = r.next();
    if (f.number != field) {
      out.append(f.raw);
      continue;
    }
    expect_wire(f, kLengthDelimited, field_what);
    found = true;
    put_message(out, field, rewrite(f.payload));
  }
  return found;
}

std::string static_tensor_type(std::string_view tensor, const std::vector<std::int64_t>& dims) {
  std::string out;
  const bool has_shape = rewrite_nested(out, tensor, "TypeProto.Tensor", kTensorShape, "TypeProto.Tensor.shape",
                                        [&](std::string_view shape) { return static_shape(shape, dims); });
  // No shape at all means unknown rank; give it the full static one.
  if (!has_shape) put_message(out, kTensorShape, onnx_shape(dims));
  return out;
}

// rewrite_nested for a field the message must have; `missing` says what is wrong without it.
template <typename Rewrite>
std::string rewrite_required(std::string_view message, const char* what, std::uint32_t field, const char* field_what,
                             const char* missing, Rewrite rewrite) {
  std::string out;
  if (!rewrite_nested(out, message, what, field, field_what, rewrite)) fail(missing);
  return out;
}

std::string static_type(std::string_view type, const std::vector<std::int64_t>& dims) {
  return rewrite_required(type, "TypeProto", kTypeTensor, "TypeProto.tensor_type", "graph input is not a tensor",
                          [&](std::string_view tensor) { return static_tensor_type(tensor, dims); });
}

std::string static_value_info(std::string_view info, const std::vector<std::int64_t>& dims) {
  return rewrite_required(info, "ValueInfoProto", kValueInfoType, "ValueInfoProto.type", "graph input without a type",
                          [&](std::string_view type) { return static_type(type, dims); });
}

// The name field of a ValueInfoProto or TensorProto.
std::string_view name_of(std::string_view message, std::uint32_t name_field, const char* what) {
  std::string_view name;
  for (Reader r(message, what); !r.done();) {
    Field f = r.next();
    if (f.number == name_field && f.wire == kLengthDelimited) name = f.payload;
  }
  return name;
}

std::string static_graph(std::string_view graph, const std::vector<std::int64_t>& dims,
                         const OnnxStaticOptions& options) {
  // Older exporters (IR < 4) list every weight as a graph input too; those already have their true shapes.
  std::set<std::string_view> initializers;
  for (Reader r(graph, "GraphProto"); !r.done();) {
    Field f = r.next();
    if (f.number == kGraphInitializer && f.wire == kLengthDelimited)
      initializers.insert(name_of(f.payload, kTensorName, "TensorProto"));
  }
  std::string out;
  int inputs = 0;
  for (Reader r(graph, "GraphProto"); !r.done();) {
    Field f = r.next();
    if (f.number == kGraphInput) {
      expect_wire(f, kLengthDelimited, "GraphProto.input");
      if (!initializers.contains(name_of(f.payload, kValueInfoName, "ValueInfoProto"))) {
        ++inputs;
        put_message(out, kGraphInput, static_value_info(f.payload, dims));
        continue;
      }
    } else if (f.number == kGraphValueInfo && options.strip_value_info) {
      continue;
    }
    out.append(f.raw);
  }
  if (inputs == 0) fail("the graph has no input");
  return out;
}

}  // namespace

std::string make_onnx_inputs_static(std::string_view model, const std::vector<std::int64_t>& dims,
                                    const OnnxStaticOptions& options) {
  if (dims.empty()) throw std::invalid_argument("make_onnx_inputs_static: no dims given");
  for (std::int64_t d : dims)
    if (d <= 0) throw std::invalid_argument("make_onnx_inputs_static: dims must be positive");
  return rewrite_required(model, "ModelProto", kModelGraph, "ModelProto.graph", "no graph",
                          [&](std::string_view g) { return static_graph(g, dims, options); });
}

std::string read_onnx_static(const std::filesystem::path& onnx, const std::vector<std::int64_t>& dims) {
  std::ifstream in(onnx, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read model " + onnx.string());
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return make_onnx_inputs_static(bytes, dims);
  } catch (const OnnxFormatError& e) {
    throw OnnxFormatError(onnx.string() + ": " + e.what());
  }
}

}  // namespace facesearch
