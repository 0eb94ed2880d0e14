#include "detect/tfjs_graph.hpp"

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

cv::dnn::Net TfjsGraph::build(const std::vector<std::string>& outputs) const {
  cv::dnn::Net net;
  net.setInputsNames({"input"});
  std::map<std::string, int> built;  // node name -> layer id (0 = the network input)

  auto add = [&net](const std::string& name, const std::string& type, cv::dnn::LayerParams& lp,
                    const std::vector<int>& inputs) {
    lp.name = name;
    lp.type = type;
    const int id = net.addLayer(name, type, lp);
    int port = 0;
    for (int from : inputs) net.connect(from, 0, id, port++);
    return id;
  };
  // The activation a fused op ends with, as its own layer carrying the node's name.
  auto activation = [&](const std::string& name, const std::string& op, int from) {
    cv::dnn::LayerParams lp;
    if (op == "Relu") return add(name, "ReLU", lp, {from});
    if (op == "Relu6") {
      lp.set("min_value", 0.f);
      lp.set("max_value", 6.f);
      return add(name, "ReLU6", lp, {from});
    }
    throw std::runtime_error(file_.string() + ": fused activation " + op + " not supported");
  };

  std::function<int(const std::string&)> layer = [&](const std::string& name) -> int {
    if (auto it = built.find(name); it != built.end()) return it->second;
    const nlohmann::json& n = node(name);
    const std::string op = n.at("op").get<std::string>();
    const std::vector<std::string> in = inputs_of(name);
    int id = 0;
    if (op == "Placeholder") {
      id = 0;
    } else if (op == "Identity") {
      id = layer(in.at(0));
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
      const int sizes[4] = {cout, per_group, kh, kw};
      cv::Mat w(4, sizes, CV_32F);
      float* wp = w.ptr<float>();
      for (int o = 0; o < cout; ++o)
        for (int i = 0; i < per_group; ++i)
          for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x) {
              // depthwise: output o reads input channel o / multiplier through filter (.., o / m, o % m)
              const std::size_t src = depthwise ? ((static_cast<std::size_t>(y) * kw + x) * cin + o / cmul) * cmul +
                                                      o % cmul
                                                : ((static_cast<std::size_t>(y) * kw + x) * cin + i) * cmul + o;
              wp[((o * per_group + i) * kh + y) * kw + x] = f.values[src];
            }
      cv::dnn::LayerParams lp;
      const auto [sh, sw] = hw_attr(n, "strides");
      const auto [dh, dw] = hw_attr(n, "dilations");
      set_window(lp, kh, kw, sh, sw);
      lp.set("dilation_h", dh);
      lp.set("dilation_w", dw);
      lp.set("pad_mode", string_attr(n, "padding", "VALID"));  // TF semantics: SAME pads the end more
      lp.set("num_output", cout);
      if (depthwise) lp.set("group", cin);
      lp.set("bias_term", bias);
      lp.blobs = {w};
      if (bias) {
        const TfjsTensor& b = constant(in.at(2));
        if (static_cast<int>(b.values.size()) != cout)
          throw std::runtime_error(file_.string() + ": bias of " + name + " does not fit its filter");
        lp.blobs.push_back(cv::Mat(1, cout, CV_32F, const_cast<float*>(b.values.data())).clone());
      }
      const int from = layer(in.at(0));
      if (fused.size() == 2) {
        id = activation(name, fused[1], add(name + "/conv", "Convolution", lp, {from}));
      } else {
        id = add(name, "Convolution", lp, {from});
      }
    } else if (op == "AddV2" || op == "Add") {
      cv::dnn::LayerParams lp;
      lp.set("operation", "sum");
      id = add(name, "Eltwise", lp, {layer(in.at(0)), layer(in.at(1))});
    } else if (op == "Relu" || op == "Relu6") {
      id = activation(name, op, layer(in.at(0)));
    } else if (op == "MaxPool") {
      const auto [kh, kw] = hw_attr(n, "ksize");
      const auto [sh, sw] = hw_attr(n, "strides");
      cv::dnn::LayerParams lp;
      lp.set("pool", "max");
      set_window(lp, kh, kw, sh, sw);
      lp.set("pad_mode", string_attr(n, "padding", "VALID"));
      id = add(name, "Pooling", lp, {layer(in.at(0))});
    } else if (op == "Pad") {
      const TfjsTensor& p = constant(in.at(1));  // NHWC [[before, after] x 4]
      if (p.values.size() != 8) throw std::runtime_error(file_.string() + ": " + name + " is not a 4-D pad");
      const int nchw[4] = {0, 3, 1, 2};  // NCHW axis a is NHWC axis nchw[a]
      int pads[8];
      for (int a = 0; a < 4; ++a) {
        pads[2 * a] = static_cast<int>(p.values[2 * nchw[a]]);
        pads[2 * a + 1] = static_cast<int>(p.values[2 * nchw[a] + 1]);
      }
      cv::dnn::LayerParams lp;
      lp.set("paddings", cv::dnn::DictValue::arrayInt(pads, 8));
      lp.set("value", 0.0);
      id = add(name, "Padding", lp, {layer(in.at(0))});
    } else {
      throw std::runtime_error(file_.string() + ": op " + op + " (node " + name + ") not supported");
    }
    built[name] = id;
    return id;
  };

  for (const std::string& out : outputs)
    if (layer(out) == 0) throw std::runtime_error(file_.string() + ": output " + out + " is the input");
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

}  // namespace facesearch
