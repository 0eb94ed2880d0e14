#include "detect/yunet.hpp"

#include "detect/letterbox.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

namespace facesearch {

namespace {

constexpr std::array<int, 3> kStrides = {8, 16, 32};

// Output names of the 2023 export, per stride: classification, objectness, box, keypoints.
std::vector<std::string> output_names() {
  std::vector<std::string> names;
  for (const char* head : {"cls", "obj", "bbox", "kps"})
    for (int s : kStrides) names.push_back(std::string(head) + "_" + std::to_string(s));
  return names;
}

class YunetDetector final : public LetterboxDetector {
 public:
  YunetDetector(const std::filesystem::path& onnx, const nlohmann::json& params);

 private:
  std::vector<Detection> decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& lb,
                                cv::Size image) const override;
};

}  // namespace

YunetDetector::YunetDetector(const std::filesystem::path& onnx, const nlohmann::json& params)
    : LetterboxDetector(onnx, params) {
  const auto have = net_->output_names();
  outputs_ = output_names();
  for (const auto& name : outputs_)
    if (std::find(have.begin(), have.end(), name) == have.end())
      throw std::runtime_error("YuNet: " + onnx.string() + " has no output '" + name +
                               "' (only the 2023 cls/obj/bbox/kps format is supported)");
}

std::vector<Detection> YunetDetector::decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& lb,
                                             cv::Size image) const {
  std::vector<Detection> dets;
  const std::size_t ns = kStrides.size();
  for (std::size_t li = 0; li < ns; ++li) {
    const int s = kStrides[li];
    const int cols = input_.width / s, rows = input_.height / s;
    const std::size_t n = static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows);
    const cv::Mat &cls = outs[li], &obj = outs[ns + li], &bbox = outs[2 * ns + li], &kps = outs[3 * ns + li];
    for (const auto* m : {&cls, &obj, &bbox, &kps})
      if (m->type() != CV_32F || !m->isContinuous())
        throw std::runtime_error("YuNet: unexpected output layout");
    if (cls.total() != n || obj.total() != n || bbox.total() != 4 * n || kps.total() != 10 * n)
      throw std::runtime_error("YuNet: output sizes do not match stride " + std::to_string(s));
    const float *c = cls.ptr<float>(), *o = obj.ptr<float>(), *b = bbox.ptr<float>(), *k = kps.ptr<float>();
    const float fs = static_cast<float>(s);
    for (std::size_t i = 0; i < n; ++i) {
      // Both heads are probabilities already; clamp guards sqrt against tiny negative rounding.
      const float score = std::sqrt(std::clamp(c[i], 0.f, 1.f) * std::clamp(o[i], 0.f, 1.f));
      if (score < score_threshold_) continue;
      const float col = static_cast<float>(i % static_cast<std::size_t>(cols));
      const float row = static_cast<float>(i / static_cast<std::size_t>(cols));
      const float* bi = b + 4 * i;
      const float cx = (col + bi[0]) * fs, cy = (row + bi[1]) * fs;
      const float w = std::exp(bi[2]) * fs, h = std::exp(bi[3]) * fs;
      const float* ki = k + 10 * i;
      Landmarks5 pts;
      for (int p = 0; p < 5; ++p) pts[p] = {(col + ki[2 * p]) * fs, (row + ki[2 * p + 1]) * fs};
      Detection d = lb.to_image(score, {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, pts, image);
      if (d.box.area() > 0) dets.push_back(std::move(d));
    }
  }
  return dets;
}

std::unique_ptr<Detector> make_yunet_detector(const std::filesystem::path& onnx, const nlohmann::json& params) {
  return std::make_unique<YunetDetector>(onnx, params);
}

}  // namespace facesearch
