#include "detect/scrfd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>

#include "detect/onnx_static.hpp"

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

cv::Size input_from_params(const nlohmann::json& params, cv::Size fallback) {
  cv::Size in = fallback;
  if (params.contains("input")) in = {params["input"][0].get<int>(), params["input"][1].get<int>()};
  if (in.width <= 0 || in.height <= 0 || in.width % 32 || in.height % 32)
    throw std::invalid_argument("detector input size must be positive multiples of 32, got " +
                                std::to_string(in.width) + "x" + std::to_string(in.height));
  return in;
}

}  // namespace detail

namespace {

constexpr std::array<int, 3> kStrides = {8, 16, 32};
constexpr int kAnchors = 2;  // anchors per feature-map cell; both share the cell's centre

// One stride's three heads, each a dense [N, C] float matrix.
struct Level {
  const float* score = nullptr;  // C = 1, already sigmoid
  const float* box = nullptr;    // C = 4: distances left, top, right, bottom in stride units
  const float* kps = nullptr;    // C = 10: (dx, dy) of 5 points in stride units
};

}  // namespace

ScrfdDetector::ScrfdDetector(const std::filesystem::path& onnx, const nlohmann::json& params)
    : input_(detail::input_from_params(params, {640, 640})) {
  score_threshold_ = params.value("score_threshold", score_threshold_);
  nms_iou_ = params.value("nms_iou", nms_iou_);
  min_face_ = params.value("min_reliable_face", min_face_);
  // The exported graph has a dynamic input, which OpenCV 4.6 refuses; fix it to the size we will feed.
  net_ = read_onnx_static(onnx, {1, 3, input_.height, input_.width});
  outputs_ = net_.getUnconnectedOutLayersNames();
}

std::vector<Detection> ScrfdDetector::detect(const cv::Mat& bgr) {
  if (bgr.empty()) return {};
  if (bgr.type() != CV_8UC3) throw std::invalid_argument("ScrfdDetector expects a CV_8UC3 BGR image");
  const detail::Letterbox lb(bgr, input_);
  cv::Mat blob =
      cv::dnn::blobFromImage(lb.canvas, 1.0 / 128, {}, cv::Scalar(127.5, 127.5, 127.5), /*swapRB=*/true);
  net_.setInput(blob);
  std::vector<cv::Mat> outs;
  net_.forward(outs, outputs_);

  // Exports name their outputs differently ("score_8" vs "446") and some keep a batch axis; the shapes are
  // what identify a head: N = cells * anchors rows for its stride, C = 1, 4 or 10 columns.
  std::array<Level, kStrides.size()> levels{};
  for (const cv::Mat& out : outs) {
    if (out.type() != CV_32F || !out.isContinuous() || out.dims < 2)
      throw std::runtime_error("SCRFD: unexpected output layout");
    const int c = out.size[out.dims - 1];
    const std::size_t n = out.total() / static_cast<std::size_t>(c);
    std::size_t li = 0;
    while (li < kStrides.size() && n != static_cast<std::size_t>((input_.width / kStrides[li]) *
                                                                 (input_.height / kStrides[li]) * kAnchors))
      ++li;
    if (li == kStrides.size())
      throw std::runtime_error("SCRFD: output with " + std::to_string(n) + " rows fits no stride");
    const float*& slot = c == 1 ? levels[li].score : c == 4 ? levels[li].box : levels[li].kps;
    if ((c != 1 && c != 4 && c != 10) || slot) throw std::runtime_error("SCRFD: unexpected output shape");
    slot = out.ptr<float>();
  }

  std::vector<Detection> dets;
  for (std::size_t li = 0; li < kStrides.size(); ++li) {
    const Level& l = levels[li];
    if (!l.score || !l.box || !l.kps)
      throw std::runtime_error("SCRFD: missing output heads (needs the _bnkps model)");
    const int s = kStrides[li];
    const int cols = input_.width / s, rows = input_.height / s;
    const float fs = static_cast<float>(s);
    for (int i = 0; i < rows * cols * kAnchors; ++i) {
      if (l.score[i] < score_threshold_) continue;
      const int cell = i / kAnchors;
      const float cx = static_cast<float>(cell % cols) * fs, cy = static_cast<float>(cell / cols) * fs;
      const float* b = l.box + 4 * i;
      Detection d;
      d.score = l.score[i];
      d.box = lb.to_image(cx - b[0] * fs, cy - b[1] * fs, cx + b[2] * fs, cy + b[3] * fs, bgr.size());
      if (d.box.area() <= 0) continue;
      // The model's own order already is the ArcFace one (image-left eye first); checked on real photos.
      const float* k = l.kps + 10 * i;
      Landmarks5 pts;
      for (int p = 0; p < 5; ++p) pts[p] = lb.to_image(cx + k[2 * p] * fs, cy + k[2 * p + 1] * fs);
      d.landmarks = pts;
      dets.push_back(d);
    }
  }
  return nms(std::move(dets), nms_iou_);
}

}  // namespace facesearch
