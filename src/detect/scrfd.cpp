#include "detect/scrfd.hpp"

#include "detect/letterbox.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

namespace facesearch {

namespace {

constexpr std::array<int, 3> kStrides = {8, 16, 32};
constexpr int kAnchors = 2;  // anchors per feature-map cell; both share the cell's centre

// One stride's three heads, each a dense [N, C] float matrix.
struct Level {
  const float* score = nullptr;  // C = 1, already sigmoid
  const float* box = nullptr;    // C = 4: distances left, top, right, bottom in stride units
  const float* kps = nullptr;    // C = 10: (dx, dy) of 5 points in stride units
};

class ScrfdDetector final : public LetterboxDetector {
 public:
  // Exports name their outputs differently: every unconnected output is read, and recognised by its shape.
  ScrfdDetector(const std::filesystem::path& onnx, const nlohmann::json& params) : LetterboxDetector(onnx, params) {
    outputs_ = net_->output_names();
  }

 private:
  std::vector<Detection> decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& lb,
                                cv::Size image) const override;
};

}  // namespace

std::vector<Detection> ScrfdDetector::decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& lb,
                                             cv::Size image) const {
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
      // The model's own order already is the ArcFace one (image-left eye first); checked on real photos.
      const float* k = l.kps + 10 * i;
      Landmarks5 pts;
      for (int p = 0; p < 5; ++p) pts[p] = {cx + k[2 * p] * fs, cy + k[2 * p + 1] * fs};
      const Box box{cx - b[0] * fs, cy - b[1] * fs, cx + b[2] * fs, cy + b[3] * fs};
      Detection d = lb.to_image(l.score[i], box, pts, image);
      if (d.box.area() > 0) dets.push_back(std::move(d));
    }
  }
  return dets;
}

std::unique_ptr<Detector> make_scrfd_detector(const std::filesystem::path& onnx, const nlohmann::json& params) {
  return std::make_unique<ScrfdDetector>(onnx, params);
}

}  // namespace facesearch
