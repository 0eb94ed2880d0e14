#include "detect/blazeface.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "detect/letterbox.hpp"
#include "detect/tfjs_graph.hpp"

namespace facesearch {

namespace {

constexpr int kValuesPerAnchor = 16;  // box (4) + 6 keypoints (12)

// The score and regressor convolutions of each feature level: the inputs of the graph's Reshape nodes (the
// heads are flattened by Reshape before being concatenated, which the decoder does itself).
std::vector<cv::String> head_names(const TfjsGraph& graph) {
  std::vector<cv::String> names;
  for (const std::string& reshape : graph.nodes_with_op("Reshape")) names.push_back(graph.inputs_of(reshape).at(0));
  if (names.empty() || names.size() % 2) throw std::runtime_error("BlazeFace: expected score and box heads");
  return names;
}

// The heads' part of the graph as ONNX, on the runtime the pack names (else the default one).
std::unique_ptr<infer::Network> head_network(const TfjsGraph& graph, const std::vector<cv::String>& heads,
                                             const nlohmann::json& params, const std::string& name) {
  const auto& input = params.at("input");
  const int width = input[0].get<int>(), height = input.size() > 1 ? input[1].get<int>() : width;
  return infer::load_network_bytes(graph.to_onnx({heads.begin(), heads.end()}, height, width), name,
                                   {infer::runtime_of(params), {1, 3, height, width}});
}

class BlazeFaceDetector final : public LetterboxDetector {
 public:
  BlazeFaceDetector(const TfjsGraph& graph, const std::vector<cv::String>& heads, const nlohmann::json& params,
                    const std::string& name)
      : LetterboxDetector(head_network(graph, heads, params, name), params) {
    outputs_ = heads;
  }

 private:
  std::vector<Detection> decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& lb,
                                cv::Size image) const override;
};

std::vector<Detection> BlazeFaceDetector::decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& lb,
                                                 cv::Size image) const {
  std::vector<Detection> dets;
  const float in_w = static_cast<float>(input_.width), in_h = static_cast<float>(input_.height);
  const float logit_threshold = std::log(score_threshold_ / (1.f - score_threshold_));
  for (const cv::Mat& scores : outs) {
    if (scores.dims != 4 || scores.type() != CV_32F) throw std::runtime_error("BlazeFace: unexpected head layout");
    const int anchors = scores.size[1], rows = scores.size[2], cols = scores.size[3];
    if (anchors * kValuesPerAnchor == 0 || anchors >= kValuesPerAnchor) continue;  // a regressor head
    // Its regressor: the head of the same grid with 16 values per anchor.
    const cv::Mat* boxes = nullptr;
    for (const cv::Mat& m : outs)
      if (m.size[1] == anchors * kValuesPerAnchor && m.size[2] == rows && m.size[3] == cols) boxes = &m;
    if (!boxes) throw std::runtime_error("BlazeFace: no box head for a score head");
    const std::size_t plane = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    const float* s = scores.ptr<float>();
    const float* r = boxes->ptr<float>();
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x)
        for (int a = 0; a < anchors; ++a) {
          const std::size_t cell = static_cast<std::size_t>(y) * static_cast<std::size_t>(cols) +
                                   static_cast<std::size_t>(x);
          const float logit = s[static_cast<std::size_t>(a) * plane + cell];
          if (logit < logit_threshold) continue;
          // NCHW: value v of anchor a is channel a * 16 + v.
          auto value = [&](int v) {
            return r[static_cast<std::size_t>(a * kValuesPerAnchor + v) * plane + cell];
          };
          const float ax = (static_cast<float>(x) + 0.5f) / static_cast<float>(cols) * in_w;
          const float ay = (static_cast<float>(y) + 0.5f) / static_cast<float>(rows) * in_h;
          const float cx = ax + value(0), cy = ay + value(1), w = value(2), h = value(3);
          auto point = [&](int k) { return cv::Point2f(ax + value(4 + 2 * k), ay + value(5 + 2 * k)); };
          const Landmarks5 pts = five_points_from_blazeface(point(0), point(1), point(2), point(3));
          const float score = 1.f / (1.f + std::exp(-std::clamp(logit, -100.f, 100.f)));
          Detection d = lb.to_image(score, {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, pts, image);
          if (d.box.area() > 0) dets.push_back(std::move(d));
        }
  }
  return dets;
}

}  // namespace

Landmarks5 five_points_from_blazeface(cv::Point2f eye_a, cv::Point2f eye_b, cv::Point2f nose, cv::Point2f mouth) {
  // ArcFace template: eyes 35.24 px apart, mouth corners 29.18 px: half the mouth is 0.414 of the eye vector.
  constexpr float kHalfMouth = 0.414f;
  const cv::Point2f half = (eye_b - eye_a) * kHalfMouth;
  return {eye_a, eye_b, nose, mouth - half, mouth + half};
}

std::unique_ptr<Detector> make_blazeface_detector(const std::filesystem::path& model_json,
                                                  const nlohmann::json& params) {
  const TfjsGraph graph(model_json);
  return std::make_unique<BlazeFaceDetector>(graph, head_names(graph), params, model_json.filename().string());
}

}  // namespace facesearch
