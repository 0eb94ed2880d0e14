// Writing protobuf's wire format, for the two places that make ONNX bytes without an onnx or protobuf dependency:
// infer/onnx_static.cpp (fixing an input's shape) and infer/onnx_writer.cpp (a model made in memory). A field is
// a varint tag (field number << 3 | wire type) followed by a varint, 8 bytes, a varint length and that many bytes,
// or 4 bytes. Internal to infer/.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace facesearch::protobuf {

enum Wire : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_tag(std::string& out, std::uint32_t number, int wire) {
  put_varint(out, (static_cast<std::uint64_t>(number) << 3) | static_cast<std::uint64_t>(wire));
}

// A varint field; a negative value takes ten bytes, as protobuf writes int64.
inline void put_int(std::string& out, std::uint32_t number, std::int64_t value) {
  put_tag(out, number, kVarint);
  put_varint(out, static_cast<std::uint64_t>(value));
}

// A length-delimited field: a nested message, a string or bytes.
inline void put_message(std::string& out, std::uint32_t number, std::string_view payload) {
  put_tag(out, number, kLengthDelimited);
  put_varint(out, payload.size());
  out.append(payload);
}

inline void put_float(std::string& out, std::uint32_t number, float value) {
  put_tag(out, number, kFixed32);
  char raw[4];
  std::memcpy(raw, &value, 4);  // little-endian, as x86 stores it
  out.append(raw, 4);
}

// An ONNX TensorShapeProto of these dims (dim 1: Dimension, whose dim_value is field 1); a negative dim is left
// unknown (neither dim_value nor dim_param).
inline std::string onnx_shape(const std::vector<std::int64_t>& dims) {
  std::string out;
  for (std::int64_t d : dims) {
    std::string dim;
    if (d >= 0) put_int(dim, 1, d);
    put_message(out, 1, dim);
  }
  return out;
}

}  // namespace facesearch::protobuf
