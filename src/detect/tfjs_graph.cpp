#include "detect/tfjs_graph.hpp"

#include "infer/onnx_writer.hpp"

#include <functional>
#include <stdexcept>

namespace fs = std::filesystem;

namespace facesearch {

namespace {

// GraphDef string attributes are base64 in the JSON form (protobuf's JSON mapping of bytes).
std::string base64_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;  // padding '='
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string string_attr(const nlohmann::json& node, const std::string& key, const std::string& fallback) {
  const auto& attr = node.value("attr", nlohmann::json::object());
  if (!attr.contains(key) || !attr[key].contains("s")) return fallback;
  return base64_decode(attr[key]["s"].get<std::string>());
}

std::vector<std::string> string_list_attr(const nlohmann::json& node, const std::string& key) {
  std::vector<std::string> out;
  const auto& attr = node.value("attr", nlohmann::json::object());
  if (attr.contains(key) && attr[key].contains("list") && attr[key]["list"].contains("s"))
    for (const auto& s : attr[key]["list"]["s"]) out.push_back(base64_decode(s.get<std::string>()));
  return out;
}

// NHWC list attributes (strides, ksize, dilations) as (h, w); integers are strings in the JSON form.
std::pair<int, int> hw_attr(const nlohmann::json& node, const std::string& key) {
  const auto& attr = node.value("attr", nlohmann::json::object());
  if (!attr.contains(key)) return {1, 1};
  const auto& list = attr[key]["list"]["i"];
  if (list.size() != 4) throw std::runtime_error("TF.js graph: " + key + " of a 2-D op is not 4 values");
  return {std::stoi(list[1].get<std::string>()), std::stoi(list[2].get<std::string>())};
}

}  // namespace

TfjsGraph::TfjsGraph(const fs::path& model_json) : file_(model_json) {
  const nlohmann::json model = read_tfjs_json(model_json, "TF.js model");
  if (model.value("format", "") != "graph-model" || !model.contains("modelTopology"))
    throw std::runtime_error(model_json.string() + ": not a TF.js graph model");
  nodes_ = model["modelTopology"].at("node");
  for (std::size_t i = 0; i < nodes_.size(); ++i) index_[nodes_[i].at("name").get<std::string>()] = i;
  weights_ = read_tfjs_weight_groups(model.at("weightsManifest"), model_json.parent_path(), model_json.string());
}

const nlohmann::json& TfjsGraph::node(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw std::runtime_error(file_.string() + ": no node '" + name + "'");
  return nodes_[it->second];
}

const TfjsTensor& TfjsGraph::constant(const std::string& name) const {
  auto it = weights_.find(name);
  if (it == weights_.end()) throw std::runtime_error(file_.string() + ": no weights for '" + name + "'");
  return it->second;
}

std::vector<std::string> TfjsGraph::nodes_with_op(const std::string& op) const {
  std::vector<std::string> out;
  for (const auto& n : nodes_)
    if (n.value("op", "") == op) out.push_back(n.at("name").get<std::string>());
  return out;
}

std::vector<std::string> TfjsGraph::inputs_of(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& in : node(name).value("input", nlohmann::json::array())) {
    std::string s = in.get<std::string>();
    if (!s.empty() && s[0] == '^') continue;  // control dependency
    if (const auto colon = s.rfind(':'); colon != std::string::npos) s.resize(colon);
    out.push_back(s);
  }
  return out;
}

std::string TfjsGraph::to_onnx(const std::vector<std::string>& outputs, int height, int width) const {
  infer::OnnxModelWriter onnx("input", {1, 3, height, width});
  std::map<std::string, std::string> built;  // node name -> the ONNX value holding its output
  // TF's SAME pads the end more, as ONNX's SAME_UPPER does.
  auto auto_pad = [&](const nlohmann::json& n) {
    const std::string padding = string_attr(n, "padding", "VALID");
    if (padding == "SAME") return std::string("SAME_UPPER");
    if (padding == "VALID") return padding;
    throw std::runtime_error(file_.string() + ": padding " + padding + " not supported");
  };
  // Relu6 is Clip to [0, 6]; its bounds are inputs since opset 11.
  bool clip_bounds = false;
  auto activation = [&](const std::string& out, const std::string& op, const std::string& from) {
    if (op == "Relu") {
      onnx.add_node("Relu", {from}, out);
    } else if (op == "Relu6") {
      if (!clip_bounds) {
        onnx.add_initializer("relu6/min", {}, std::vector<float>{0.f});
        onnx.add_initializer("relu6/max", {}, std::vector<float>{6.f});
        clip_bounds = true;
      }
      onnx.add_node("Clip", {from, "relu6/min", "relu6/max"}, out);
    } else {
      throw std::runtime_error(file_.string() + ": activation " + op + " not supported");
    }
    return out;
  };

  std::function<std::string(const std::string&)> value = [&](const std::string& name) -> std::string {
    if (auto it = built.find(name); it != built.end()) return it->second;
    const nlohmann::json& n = node(name);
    const std::string op = n.at("op").get<std::string>();
    const std::vector<std::string> in = inputs_of(name);
    std::string out;
    if (op == "Placeholder") {
      out = "input";
    } else if (op == "Identity") {
      out = value(in.at(0));
    } else if (op == "Conv2D" || op == "_FusedConv2D" || op == "DepthwiseConv2dNative" ||
               op == "FusedDepthwiseConv2dNative") {
      const bool depthwise = op.find("Depthwise") != std::string::npos;
      std::vector<std::string> fused = string_list_attr(n, "fused_ops");
      const bool bias = !fused.empty() && fused[0] == "BiasAdd";
      if (!fused.empty() && !bias) throw std::runtime_error(file_.string() + ": fused " + fused[0] + " in " + name);
      if (fused.size() > 2) throw std::runtime_error(file_.string() + ": too many fused ops in " + name);
      const TfjsTensor& f = constant(in.at(1));  // [kh, kw, in, out] or depthwise [kh, kw, in, multiplier]
      if (f.shape.size() != 4) throw std::runtime_error(file_.string() + ": filter of " + name + " is not 4-D");
      const int kh = f.shape[0], kw = f.shape[1], cin = f.shape[2], cmul = f.shape[3];
      const int cout = depthwise ? cin * cmul : cmul;
      const int per_group = depthwise ? 1 : cin;
      // ONNX weights are [out, in / group, kh, kw].
      std::vector<float> w(static_cast<std::size_t>(cout) * per_group * kh * kw);
      for (int o = 0; o < cout; ++o)
        for (int i = 0; i < per_group; ++i)
          for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x) {
              // depthwise: output o reads input channel o / multiplier through filter (.., o / m, o % m)
              const std::size_t src = depthwise ? ((static_cast<std::size_t>(y) * kw + x) * cin + o / cmul) * cmul +
                                                      o % cmul
                                                : ((static_cast<std::size_t>(y) * kw + x) * cin + i) * cmul + o;
              w[((static_cast<std::size_t>(o) * per_group + i) * kh + y) * kw + x] = f.values[src];
            }
      std::vector<std::string> conv_inputs{value(in.at(0)), name + "/W"};
      onnx.add_initializer(name + "/W", {cout, per_group, kh, kw}, w);
      if (bias) {
        const TfjsTensor& b = constant(in.at(2));
        if (static_cast<int>(b.values.size()) != cout)
          throw std::runtime_error(file_.string() + ": bias of " + name + " does not fit its filter");
        onnx.add_initializer(name + "/B", {cout}, b.values);
        conv_inputs.push_back(name + "/B");
      }
      const auto [sh, sw] = hw_attr(n, "strides");
      const auto [dh, dw] = hw_attr(n, "dilations");
      const std::string conv = fused.size() == 2 ? name + "/conv" : name;
      onnx.add_node("Conv", conv_inputs, conv,
                    {{"kernel_shape", std::vector<std::int64_t>{kh, kw}},
                     {"strides", std::vector<std::int64_t>{sh, sw}},
                     {"dilations", std::vector<std::int64_t>{dh, dw}},
                     {"group", std::int64_t{depthwise ? cin : 1}},
                     {"auto_pad", auto_pad(n)}});
      out = fused.size() == 2 ? activation(name, fused[1], conv) : conv;
    } else if (op == "AddV2" || op == "Add") {
      out = name;
      onnx.add_node("Add", {value(in.at(0)), value(in.at(1))}, out);
    } else if (op == "Relu" || op == "Relu6") {
      out = activation(name, op, value(in.at(0)));
    } else if (op == "MaxPool") {
      const auto [kh, kw] = hw_attr(n, "ksize");
      const auto [sh, sw] = hw_attr(n, "strides");
      out = name;
      onnx.add_node("MaxPool", {value(in.at(0))}, out,
                    {{"kernel_shape", std::vector<std::int64_t>{kh, kw}},
                     {"strides", std::vector<std::int64_t>{sh, sw}},
                     {"auto_pad", auto_pad(n)}});
    } else if (op == "Pad") {
      const TfjsTensor& p = constant(in.at(1));  // NHWC [[before, after] x 4]
      if (p.values.size() != 8) throw std::runtime_error(file_.string() + ": " + name + " is not a 4-D pad");
      const int nhwc_of[4] = {0, 3, 1, 2};  // NCHW axis a is NHWC axis nhwc_of[a]
      std::vector<std::int64_t> pads(8);     // ONNX: every axis's begin, then every axis's end
      for (int a = 0; a < 4; ++a) {
        pads[a] = static_cast<std::int64_t>(p.values[2 * nhwc_of[a]]);
        pads[4 + a] = static_cast<std::int64_t>(p.values[2 * nhwc_of[a] + 1]);
      }
      onnx.add_initializer(name + "/pads", {8}, pads);
      out = name;
      onnx.add_node("Pad", {value(in.at(0)), name + "/pads"}, out, {{"mode", std::string("constant")}});
    } else {
      throw std::runtime_error(file_.string() + ": op " + op + " (node " + name + ") not supported");
    }
    built[name] = out;
    return out;
  };

  for (const std::string& name : outputs) {
    const std::string out = value(name);
    if (out == "input") throw std::runtime_error(file_.string() + ": output " + name + " is the input");
    // An output reached through Identity nodes keeps its own name for the caller.
    if (out != name) onnx.add_node("Identity", {out}, name);
    onnx.add_output(name, 4);  // every op covered keeps NCHW
  }
  return onnx.serialize();
}

}  // namespace facesearch
