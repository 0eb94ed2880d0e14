#include "detect/tfjs_weights.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <opencv2/core.hpp>

namespace fs = std::filesystem;

namespace facesearch {

namespace {

// Bytes per stored value, and the decoder of one value at `p`, for a weight's dtype and quantisation.
struct Encoding {
  std::size_t width = 4;
  enum Kind { Float32, Int32, Uint, Float16 } kind = Float32;
  double scale = 1, min = 0;
};

Encoding encoding_of(const nlohmann::json& w, const std::string& name) {
  Encoding e;
  const std::string dtype = w.value("dtype", "float32");
  if (dtype == "int32") {
    e.kind = Encoding::Int32;
  } else if (dtype != "float32") {
    throw std::runtime_error("TF.js weight " + name + ": dtype " + dtype + " not supported");
  }
  if (!w.contains("quantization") || w["quantization"].is_null()) return e;
  const auto& q = w["quantization"];
  const std::string qtype = q.at("dtype").get<std::string>();
  if (qtype == "float16") {
    e.kind = Encoding::Float16;
    e.width = 2;
  } else if (qtype == "uint8" || qtype == "uint16") {
    e.kind = Encoding::Uint;
    e.width = qtype == "uint8" ? 1 : 2;
    e.scale = q.at("scale").get<double>();
    e.min = q.at("min").get<double>();
  } else {
    throw std::runtime_error("TF.js weight " + name + ": quantisation " + qtype + " not supported");
  }
  return e;
}

// Shards are little-endian, as TF.js writes them (and as every machine this builds on is).
float decode(const Encoding& e, const unsigned char* p) {
  switch (e.kind) {
    case Encoding::Float32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case Encoding::Int32: {
      std::int32_t i;
      std::memcpy(&i, p, 4);
      return static_cast<float>(i);
    }
    case Encoding::Float16: {
      cv::float16_t h;
      std::memcpy(&h, p, 2);
      return static_cast<float>(h);
    }
    case Encoding::Uint: {
      std::uint32_t v = p[0];
      if (e.width == 2) v |= static_cast<std::uint32_t>(p[1]) << 8;
      return static_cast<float>(v * e.scale + e.min);
    }
  }
  return 0.f;
}

}  // namespace

std::map<std::string, TfjsTensor> read_tfjs_weight_groups(const nlohmann::json& groups, const fs::path& shard_dir,
                                                          const std::string& what) {
  if (!groups.is_array()) throw std::runtime_error(what + ": expected a list of weight groups");
  std::map<std::string, TfjsTensor> out;
  for (const auto& group : groups) {
    // A group's shards are one byte stream cut into files; its weights follow each other in that stream.
    std::vector<unsigned char> bytes;
    for (const auto& shard : group.at("paths")) {
      const fs::path file = shard_dir / fs::path(shard.get<std::string>()).filename();
      std::ifstream s(file, std::ios::binary);
      if (!s) throw std::runtime_error("TF.js weights shard " + file.string() + " is missing");
      bytes.insert(bytes.end(), std::istreambuf_iterator<char>(s), std::istreambuf_iterator<char>());
    }
    std::size_t offset = 0;
    for (const auto& w : group.at("weights")) {
      const std::string name = w.at("name").get<std::string>();
      TfjsTensor t;
      std::size_t count = 1;
      for (const auto& d : w.at("shape")) {
        t.shape.push_back(d.get<int>());
        count *= static_cast<std::size_t>(d.get<int>());
      }
      const Encoding e = encoding_of(w, name);
      if (offset + count * e.width > bytes.size())
        throw std::runtime_error("TF.js weights: " + name + " runs past the end of the shards");
      t.values.resize(count);
      for (std::size_t i = 0; i < count; ++i) t.values[i] = decode(e, bytes.data() + offset + i * e.width);
      offset += count * e.width;
      out[name] = std::move(t);
    }
    if (offset != bytes.size())
      throw std::runtime_error("TF.js weights: the manifest describes " + std::to_string(offset) +
                               " bytes, the shards hold " + std::to_string(bytes.size()));
  }
  return out;
}

nlohmann::json read_tfjs_json(const fs::path& file, const std::string& what) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + what + " " + file.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": not JSON: " + e.what());
  }
}

void set_window(cv::dnn::LayerParams& lp, int kernel_h, int kernel_w, int stride_h, int stride_w) {
  lp.set("kernel_h", kernel_h);
  lp.set("kernel_w", kernel_w);
  lp.set("stride_h", stride_h);
  lp.set("stride_w", stride_w);
}

std::map<std::string, TfjsTensor> read_tfjs_weights(const fs::path& manifest_path, const fs::path& shard_dir) {
  return read_tfjs_weight_groups(read_tfjs_json(manifest_path, "TF.js weights manifest"), shard_dir,
                                 manifest_path.string());
}

}  // namespace facesearch
