#include "detect/letterbox.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>


namespace facesearch {

namespace detail {

Letterbox::Letterbox(const cv::Mat& bgr, cv::Size input) {
  const double scale =
      std::min(static_cast<double>(input.width) / bgr.cols, static_cast<double>(input.height) / bgr.rows);
  const int w = std::clamp(static_cast<int>(std::lround(bgr.cols * scale)), 1, input.width);
  const int h = std::clamp(static_cast<int>(std::lround(bgr.rows * scale)), 1, input.height);
  // Per-axis ratios of the sizes actually used, so rounding the resized size does not shift boxes.
  sx = static_cast<float>(w) / bgr.cols;
  sy = static_cast<float>(h) / bgr.rows;
  canvas = cv::Mat::zeros(input, CV_8UC3);
  cv::Mat roi = canvas(cv::Rect(0, 0, w, h));
  if (w == bgr.cols && h == bgr.rows)
    bgr.copyTo(roi);
  else  // INTER_AREA avoids aliasing when shrinking large photos
    cv::resize(bgr, roi, {w, h}, 0, 0, w < bgr.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
}

Box Letterbox::to_image(float x1, float y1, float x2, float y2, cv::Size image) const {
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  return {std::clamp(x1 / sx, 0.f, w), std::clamp(y1 / sy, 0.f, h), std::clamp(x2 / sx, 0.f, w),
          std::clamp(y2 / sy, 0.f, h)};
}

Detection Letterbox::to_image(float score, const Box& box, const Landmarks5& points, cv::Size image) const {
  Detection d;
  d.score = score;
  d.box = to_image(box.x1, box.y1, box.x2, box.y2, image);
  Landmarks5 mapped;
  for (std::size_t p = 0; p < mapped.size(); ++p) mapped[p] = to_image(points[p].x, points[p].y);
  d.landmarks = mapped;
  return d;
}

}  // namespace detail

namespace {

// Every feature map must cover the canvas exactly, so the input is a multiple of the largest stride (32).
cv::Size checked_input(const nlohmann::json& params) {
  const cv::Size in(params.at("input")[0].get<int>(), params.at("input")[1].get<int>());
  if (in.width <= 0 || in.height <= 0 || in.width % 32 || in.height % 32)
    throw std::invalid_argument("detector input size must be positive multiples of 32, got " +
                                std::to_string(in.width) + "x" + std::to_string(in.height));
  return in;
}

}  // namespace

LetterboxDetector::LetterboxDetector(const std::filesystem::path& onnx, const nlohmann::json& params)
    : LetterboxDetector(load_stage_network(onnx, params, 3), params) {}

LetterboxDetector::LetterboxDetector(std::unique_ptr<infer::Network> net, const nlohmann::json& params)
    : input_(checked_input(params)),
      min_face_(params.at("min_reliable_face").get<float>()),
      score_threshold_(params.at("score_threshold").get<float>()),
      nms_iou_(params.at("nms_iou").get<float>()),
      net_(std::move(net)),
      format_(params),
      pad_when_empty_(params.value("pad_when_empty", false)) {}

std::vector<Detection> LetterboxDetector::detect(const cv::Mat& bgr) {
  if (bgr.empty()) return {};
  if (bgr.type() != CV_8UC3) throw std::invalid_argument("detector expects a CV_8UC3 BGR image");
  // The aspect is kept: both networks were trained on undistorted faces.
  const detail::Letterbox lb(bgr, input_);
  return nms(decode(net_->run(format_.blob(lb.canvas), outputs_), lb, bgr.size()), nms_iou_);
}

}  // namespace facesearch
