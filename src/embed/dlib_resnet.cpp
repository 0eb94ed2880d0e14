#include "embed/dlib_resnet.hpp"

#include <cmath>
#include <stdexcept>

#include "align/align.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

// Builds the network with cv::dnn::Net's layer API, tracking each node's channels and spatial side (the input
// is square, so every feature map is).
class NetBuilder {
 public:
  struct Node {
    int id = 0;
    int channels = 0;
    int side = 0;
  };

  NetBuilder(cv::dnn::Net& net, const std::map<std::string, TfjsTensor>& weights) : net_(net), w_(weights) {}

  std::size_t layers() const { return layers_; }

  const TfjsTensor& tensor(const std::string& name, std::size_t rank) const {
    auto it = w_.find(name);
    if (it == w_.end()) throw std::runtime_error("dlib ResNet weights: no tensor '" + name + "'");
    if (it->second.shape.size() != rank)
      throw std::runtime_error("dlib ResNet weights: '" + name + "' has rank " +
                               std::to_string(it->second.shape.size()));
    return it->second;
  }

  int add(const std::string& name, const std::string& type, cv::dnn::LayerParams& lp,
          std::initializer_list<int> inputs) {
    lp.name = name;
    lp.type = type;
    const int id = net_.addLayer(name, type, lp);
    int port = 0;
    for (int from : inputs) net_.connect(from, 0, id, port++);
    ++layers_;
    return id;
  }

  // face-api.js's conv layer: conv2d (+ bias), then the per-channel affine "scale" layer (dlib's affine
  // layer, i.e. its batch norm frozen at inference), folded here into one convolution: w' = w * s, b' = b * s
  // + c. `valid`: no padding (TF "valid"); otherwise TF "same" for a stride-1 odd kernel: (k - 1) / 2 on
  // every side.
  Node conv(const Node& in, const std::string& prefix, int stride, bool valid, bool relu) {
    const TfjsTensor& f = tensor(prefix + "/conv/filters", 4);  // [kh, kw, in, out]
    const TfjsTensor& b = tensor(prefix + "/conv/bias", 1);
    const TfjsTensor& s = tensor(prefix + "/scale/weights", 1);
    const TfjsTensor& c = tensor(prefix + "/scale/biases", 1);
    const int kh = f.shape[0], kw = f.shape[1], cin = f.shape[2], cout = f.shape[3];
    if (cin != in.channels || b.shape[0] != cout || s.shape[0] != cout || c.shape[0] != cout)
      throw std::runtime_error("dlib ResNet weights: shapes of " + prefix + " do not fit the network");
    const int sizes[4] = {cout, cin, kh, kw};
    cv::Mat weights(4, sizes, CV_32F);
    cv::Mat bias(1, cout, CV_32F);
    float* wp = weights.ptr<float>();
    for (int o = 0; o < cout; ++o) {
      for (int i = 0; i < cin; ++i)
        for (int y = 0; y < kh; ++y)
          for (int x = 0; x < kw; ++x)
            wp[((o * cin + i) * kh + y) * kw + x] =
                f.values[((y * kw + x) * cin + i) * cout + o] * s.values[o];
      bias.at<float>(0, o) = b.values[o] * s.values[o] + c.values[o];
    }
    const int pad = valid ? 0 : (kh - 1) / 2;
    cv::dnn::LayerParams lp;
    set_window(lp, kh, kw, stride, stride);
    lp.set("pad_h", pad);
    lp.set("pad_w", pad);
    lp.set("num_output", cout);
    lp.set("bias_term", true);
    lp.blobs = {weights, bias};
    Node out{add(prefix + "/conv", "Convolution", lp, {in.id}), cout, (in.side + 2 * pad - kh) / stride + 1};
    if (relu) out.id = this->relu(prefix + "/relu", out.id);
    return out;
  }

  int relu(const std::string& name, int from) {
    cv::dnn::LayerParams lp;
    return add(name, "ReLU", lp, {from});
  }

  Node max_pool(const Node& in, const std::string& name, int k, int stride) {
    cv::dnn::LayerParams lp;
    lp.set("pool", "max");
    set_window(lp, k, k, stride, stride);
    lp.set("pad", 0);
    lp.set("ceil_mode", false);  // TF "valid" and dlib both round down
    return {add(name, "Pooling", lp, {in.id}), in.channels, (in.side - k) / stride + 1};
  }

  // x + F(x), then ReLU.
  Node residual(const Node& x, const std::string& prefix) {
    Node a = conv(x, prefix + "/conv1", 1, false, true);
    Node b = conv(a, prefix + "/conv2", 1, false, false);
    cv::dnn::LayerParams lp;
    lp.set("operation", "sum");
    const int sum = add(prefix + "/add", "Eltwise", lp, {b.id, x.id});
    return {relu(prefix + "/out", sum), b.channels, b.side};
  }

  // dlib's downsampling block: F(x) with a stride-2 "valid" first conv, plus the shortcut avg_pool 2x2/2 of x
  // whose missing channels are zero. dlib's add layer sums tensors of different sizes as if the smaller were
  // zero-padded (bottom/right): with a 150 px input this happens twice (3x3 + 4x4, 1x1 + 2x2).
  Node residual_down(const Node& x, const std::string& prefix) {
    Node a = conv(x, prefix + "/conv1", 2, true, true);
    Node b = conv(a, prefix + "/conv2", 1, false, false);
    // The shortcut as one convolution: kernel 2x2, stride 2, weight 1/4 from input channel i to output
    // channel i.
    const int cin = x.channels, cout = b.channels;
    if (cout < cin) throw std::runtime_error("dlib ResNet: " + prefix + " reduces channels");
    const int sizes[4] = {cout, cin, 2, 2};
    cv::Mat w(4, sizes, CV_32F, cv::Scalar(0));
    for (int i = 0; i < cin; ++i)
      for (int k = 0; k < 4; ++k) w.ptr<float>()[(i * cin + i) * 4 + k] = 0.25f;
    cv::dnn::LayerParams lp;
    set_window(lp, 2, 2, 2, 2);
    lp.set("pad_h", 0);
    lp.set("pad_w", 0);
    lp.set("num_output", cout);
    lp.set("bias_term", false);
    lp.blobs = {w};
    Node pooled{add(prefix + "/shortcut", "Convolution", lp, {x.id}), cout, (x.side - 2) / 2 + 1};
    if (b.side > pooled.side)
      throw std::runtime_error("dlib ResNet: " + prefix + ": residual larger than shortcut");
    if (b.side < pooled.side) {
      const int grow = pooled.side - b.side;
      const int pads[8] = {0, 0, 0, 0, 0, grow, 0, grow};  // N, C, H, W: (before, after)
      cv::dnn::LayerParams pp;
      pp.set("paddings", cv::dnn::DictValue::arrayInt(pads, 8));
      pp.set("value", 0.0);
      b.id = add(prefix + "/pad", "Padding", pp, {b.id});
      b.side = pooled.side;
    }
    cv::dnn::LayerParams sp;
    sp.set("operation", "sum");
    const int sum = add(prefix + "/add", "Eltwise", sp, {b.id, pooled.id});
    return {relu(prefix + "/out", sum), cout, b.side};
  }

  int global_average(const Node& in, const std::string& name) {
    cv::dnn::LayerParams lp;
    lp.set("pool", "ave");
    lp.set("global_pooling", true);
    return add(name, "Pooling", lp, {in.id});
  }

  int fully_connected(int from, int channels, const std::string& name) {
    const TfjsTensor& fc = tensor(name, 2);  // [in, out]
    const int nin = fc.shape[0], nout = fc.shape[1];
    if (nin != channels)
      throw std::runtime_error("dlib ResNet weights: fc expects " + std::to_string(nin) + " inputs");
    cv::Mat w(nout, nin, CV_32F);
    for (int o = 0; o < nout; ++o)
      for (int i = 0; i < nin; ++i) w.at<float>(o, i) = fc.values[static_cast<std::size_t>(i) * nout + o];
    cv::dnn::LayerParams lp;
    lp.set("num_output", nout);
    lp.set("bias_term", false);
    lp.set("axis", 1);
    lp.blobs = {w};
    return add(name, "InnerProduct", lp, {from});
  }

 private:
  cv::dnn::Net& net_;
  const std::map<std::string, TfjsTensor>& w_;
  std::size_t layers_ = 0;
};

}  // namespace

DlibResNetEmbedder::DlibResNetEmbedder(const fs::path& weights_bin, const nlohmann::json& params) {
  size_ = params.contains("input") ? params["input"][0].get<int>() : size_;
  padding_ = params.value("padding", padding_);
  scale_ = params.value("scale", scale_);
  if (params.contains("mean_rgb")) {
    const auto& m = params["mean_rgb"];
    mean_rgb_ = cv::Scalar(m.at(0).get<double>(), m.at(1).get<double>(), m.at(2).get<double>());
  }
  const std::string manifest_name = params.value("weights_manifest", "");
  if (manifest_name.empty())
    throw std::runtime_error("dlib_resnet embedder: the pack gives no \"weights_manifest\" (the TF.js JSON)");
  const fs::path dir = weights_bin.parent_path();
  const auto weights = read_tfjs_weights(dir / manifest_name, dir);

  // face-api.js FaceRecognitionNet (the dlib metric-learning ResNet): conv 7x7/2 "valid" + max pool 3x3/2,
  // then residual blocks 32 x3; 64: down + 3; 128: down + 2; 256: down + 2; 256: down; global average; fc 256
  // -> 128.
  NetBuilder b(net_, weights);
  net_.setInputsNames({"data"});
  NetBuilder::Node x{0, 3, size_};
  x = b.conv(x, "conv32_down", 2, true, true);
  x = b.max_pool(x, "pool", 3, 2);
  for (const char* block : {"conv32_1", "conv32_2", "conv32_3"}) x = b.residual(x, block);
  x = b.residual_down(x, "conv64_down");
  for (const char* block : {"conv64_1", "conv64_2", "conv64_3"}) x = b.residual(x, block);
  x = b.residual_down(x, "conv128_down");
  for (const char* block : {"conv128_1", "conv128_2"}) x = b.residual(x, block);
  x = b.residual_down(x, "conv256_down");
  for (const char* block : {"conv256_1", "conv256_2"}) x = b.residual(x, block);
  x = b.residual_down(x, "conv256_down_out");
  const int pooled = b.global_average(x, "global_avg");
  b.fully_connected(pooled, x.channels, "fc");
  layers_ = b.layers();
  net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
}

Landmarks5 DlibResNetEmbedder::face_template() const { return dlib_chip_template(size_, padding_); }

std::vector<Embedding> DlibResNetEmbedder::embed(const std::vector<cv::Mat>& aligned) {
  std::vector<Embedding> out;
  out.reserve(aligned.size());
  // dlib's input_rgb_image_sized<150>: (pixel - mean) / 256 per RGB channel. blobFromImage subtracts the mean
  // after swapping to RGB, so the mean is given in RGB order.
  for (const cv::Mat& crop : aligned)
    out.push_back(embed_crop(net_, crop, size_, scale_, mean_rgb_, /*swap_rb=*/true, 128));
  return out;
}

}  // namespace facesearch
