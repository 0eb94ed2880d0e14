#include "detect/detector.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace facesearch {

BlobFormat::BlobFormat(const nlohmann::json& params)
    : mean(params.at("mean").get<double>()),
      scale(params.at("scale").get<double>()),
      swap_rb(params.at("swap_rb").get<bool>()) {}

cv::Mat BlobFormat::blob(const cv::Mat& bgr) const {
  return cv::dnn::blobFromImage(bgr, 1.0 / scale, {}, cv::Scalar::all(mean), swap_rb);
}

std::unique_ptr<infer::Network> load_stage_network(const std::filesystem::path& onnx, const nlohmann::json& params,
                                                   int channels) {
  const auto& input = params.at("input");
  const int width = input[0].get<int>(), height = input.size() > 1 ? input[1].get<int>() : width;
  return infer::load_network(onnx, {infer::runtime_of(params), {1, channels, height, width}});
}

UltraLightDetector::UltraLightDetector(const std::filesystem::path& onnx, const nlohmann::json& params)
    : net_(load_stage_network(onnx, params, 3)),
      input_(params.at("input")[0].get<int>(), params.at("input")[1].get<int>()),
      score_threshold_(params.at("score_threshold").get<float>()),
      nms_iou_(params.at("nms_iou").get<float>()),
      format_(params) {}

std::vector<Detection> UltraLightDetector::detect(const cv::Mat& bgr) {
  // The network sees the whole image squeezed to its fixed input (aspect not kept); INTER_AREA avoids aliasing
  // when shrinking large photos.
  cv::Mat small;
  cv::resize(bgr, small, input_, 0, 0, bgr.cols > input_.width ? cv::INTER_AREA : cv::INTER_LINEAR);
  const std::vector<cv::Mat> outs = net_->run(format_.blob(small), {"scores", "boxes"});
  const cv::Mat& scores = outs[0];  // [1, N, 2]
  const cv::Mat& boxes = outs[1];   // [1, N, 4], normalised corners
  const int n = scores.size[1];
  const float* s = scores.ptr<float>();
  const float* b = boxes.ptr<float>();
  const float w = static_cast<float>(bgr.cols), h = static_cast<float>(bgr.rows);
  std::vector<Detection> dets;
  for (int i = 0; i < n; ++i) {
    float score = s[2 * i + 1];
    if (score < score_threshold_) continue;
    Detection d;
    d.score = score;
    d.box = {std::clamp(b[4 * i] * w, 0.f, w), std::clamp(b[4 * i + 1] * h, 0.f, h),
             std::clamp(b[4 * i + 2] * w, 0.f, w), std::clamp(b[4 * i + 3] * h, 0.f, h)};
    if (d.box.area() > 0) dets.push_back(d);
  }
  return nms(std::move(dets), nms_iou_);
}

Landmark68Landmarker::Landmark68Landmarker(const std::filesystem::path& onnx, const nlohmann::json& params)
    : net_(load_stage_network(onnx, params, 1)), input_(params.at("input")[0].get<int>()) {}

Landmarks5 Landmark68Landmarker::locate(const cv::Mat& bgr, const Box& box) {
  // Square crop of side = box height around the box centre, clipped to the image.
  const float side = box.height();
  const float cx = (box.x1 + box.x2) / 2, cy = (box.y1 + box.y2) / 2;
  int x1 = std::max(0, static_cast<int>(std::lround(cx - side / 2)));
  int y1 = std::max(0, static_cast<int>(std::lround(cy - side / 2)));
  int x2 = std::min(bgr.cols, static_cast<int>(std::lround(cx + side / 2)));
  int y2 = std::min(bgr.rows, static_cast<int>(std::lround(cy + side / 2)));
  if (x2 - x1 < 2 || y2 - y1 < 2) throw std::runtime_error("face box too small for landmarks");
  // Shrink first, then convert: a large face costs a 64x64 grey conversion instead of a full-size one.
  cv::Mat crop = bgr(cv::Rect(x1, y1, x2 - x1, y2 - y1)), small, resized;
  cv::resize(crop, small, {input_, input_}, 0, 0, crop.cols > input_ ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::cvtColor(small, resized, cv::COLOR_BGR2GRAY);
  cv::Mat blob = cv::dnn::blobFromImage(resized, 1.0 / 256);
  const cv::Mat out = net_->run(blob).front();  // 136 = 68 (x, y), relative to the crop
  const float* p = out.ptr<float>();
  const float cw = static_cast<float>(x2 - x1), ch = static_cast<float>(y2 - y1);
  auto pt = [&](int i) { return cv::Point2f(x1 + p[2 * i] * cw, y1 + p[2 * i + 1] * ch); };
  auto mean = [&](int from, int to) {
    cv::Point2f m(0, 0);
    for (int i = from; i <= to; ++i) m += pt(i);
    return m / static_cast<float>(to - from + 1);
  };
  return {mean(36, 41), mean(42, 47), pt(30), (pt(48) + pt(60)) / 2, (pt(54) + pt(64)) / 2};
}

// --- whole image + tiles ------------------------------------------------------------------------------------

static std::vector<Detection> tiled_pass(Detector& detector, const cv::Mat& bgr, float tile_scale,
                                         float keep_below) {
  const cv::Size in = detector.input_size();
  const int tw = std::min(bgr.cols, static_cast<int>(std::lround(in.width * tile_scale)));
  const int th = std::min(bgr.rows, static_cast<int>(std::lround(in.height * tile_scale)));
  // Tiles overlap by the largest face we keep from them, so each such face lies whole inside some tile.
  const int overlap = std::min(static_cast<int>(std::ceil(keep_below * 1.2f)), std::min(tw, th) / 2);
  auto starts = [](int total, int tile, int ov) {
    std::vector<int> s;
    if (tile >= total) return std::vector<int>{0};
    int step = std::max(1, tile - ov);
    for (int x = 0;; x += step) {
      if (x + tile >= total) {
        s.push_back(total - tile);
        break;
      }
      s.push_back(x);
    }
    return s;
  };
  std::vector<Detection> out;
  const float edge = 2.f;
  for (int ty : starts(bgr.rows, th, overlap)) {
    for (int tx : starts(bgr.cols, tw, overlap)) {
      cv::Mat tile = bgr(cv::Rect(tx, ty, tw, th));
      for (auto d : detector.detect(tile)) {
        // A box cut by an inner tile edge is part of a face another tile sees whole.
        bool cut = (tx > 0 && d.box.x1 < edge) || (ty > 0 && d.box.y1 < edge) ||
                   (tx + tw < bgr.cols && d.box.x2 > tw - edge) || (ty + th < bgr.rows && d.box.y2 > th - edge);
        if (cut || std::max(d.box.width(), d.box.height()) >= keep_below) continue;
        out.push_back(d.shifted(static_cast<float>(tx), static_cast<float>(ty)));
      }
    }
  }
  return out;
}

namespace {

// The image shrunk to half its size in the middle of a grey canvas of its own size, for detectors that miss a face
// filling the frame (a close-up, an avatar, a loose crop); boxes and points mapped back to the image.
std::vector<Detection> padded_pass(Detector& detector, const cv::Mat& bgr) {
  cv::Mat canvas(bgr.size(), bgr.type(), cv::Scalar::all(127));
  const cv::Rect inner(bgr.cols / 4, bgr.rows / 4, std::max(1, bgr.cols / 2), std::max(1, bgr.rows / 2));
  cv::resize(bgr, canvas(inner), inner.size(), 0, 0, cv::INTER_AREA);
  const float sx = static_cast<float>(bgr.cols) / inner.width, sy = static_cast<float>(bgr.rows) / inner.height;
  const float w = static_cast<float>(bgr.cols), h = static_cast<float>(bgr.rows);
  auto back = [&](cv::Point2f p) { return cv::Point2f((p.x - inner.x) * sx, (p.y - inner.y) * sy); };
  std::vector<Detection> dets = detector.detect(canvas);
  for (Detection& d : dets) {
    const cv::Point2f a = back({d.box.x1, d.box.y1}), b = back({d.box.x2, d.box.y2});
    d.box = {std::clamp(a.x, 0.f, w), std::clamp(a.y, 0.f, h), std::clamp(b.x, 0.f, w), std::clamp(b.y, 0.f, h)};
    if (d.landmarks)
      for (auto& p : *d.landmarks) p = back(p);
  }
  std::erase_if(dets, [](const Detection& d) { return d.box.area() <= 0; });
  return dets;
}

}  // namespace

cv::Mat shrink_by_whole_factor(const cv::Mat& bgr, int k) {
  if (k <= 1) return bgr;
  cv::Mat out;
  cv::resize(bgr(cv::Rect(0, 0, bgr.cols - bgr.cols % k, bgr.rows - bgr.rows % k)), out, {bgr.cols / k, bgr.rows / k},
             0, 0, cv::INTER_AREA);
  return out;
}

std::vector<Detection> find_faces(Detector& detector, const cv::Mat& bgr, const FindOptions& options) {
  const cv::Size in = detector.input_size();
  // How many image pixels one network pixel covers in the whole-image pass.
  const float full_scale = std::max(static_cast<float>(bgr.cols) / in.width, static_cast<float>(bgr.rows) / in.height);
  // The tiles are laid out as if the image were shrunk to options.max_side; seen from that image they are taken at
  // 2 pixels per network pixel (or finer where it is small). `tile_scale` is that in pixels of `bgr`.
  const float long_side = static_cast<float>(std::max(bgr.cols, bgr.rows));
  const float virtual_shrink =
      options.max_side > 0 && long_side > static_cast<float>(options.max_side) ? long_side / options.max_side : 1.f;
  const float virtual_full_scale = full_scale / virtual_shrink;
  const float virtual_tile_scale = std::min(2.f, virtual_full_scale / 2);
  const float tile_scale = virtual_tile_scale * virtual_shrink;
  // Neither pass needs more than one image pixel per network pixel: both run on the image reduced by the largest
  // power of two that keeps that for the tiles (an exact reduction: shrinking a 2016 px photo to 1920 costs more
  // than detecting in it).
  int k = 1;
  while (2.f * k <= tile_scale && 2 * k * in.width <= bgr.cols && 2 * k * in.height <= bgr.rows) k *= 2;
  const cv::Mat work = shrink_by_whole_factor(bgr, k);
  const auto kf = static_cast<float>(k);

  std::vector<Detection> dets = detector.detect(work);
  if (dets.empty() && detector.misses_frame_filling_faces()) dets = padded_pass(detector, work);
  // Smallest face (pixels of `work`) the whole-image pass finds reliably.
  const float smallest_full = detector.min_reliable_face() * full_scale / kf;
  // Auto: tile a big photo only when the whole-image pass hints at small faces (it found some within 2x of its
  // limit) or found nothing at all (a crowd too small for it). A portrait, a close-up or a group whose faces are all
  // larger skips the tiles: they would cost ~10-20 detector passes and, measured on the shared photos, found nothing
  // there (on the phone-like set 2 faces in 117 photos).
  const bool has_small = std::any_of(dets.begin(), dets.end(), [&](const Detection& d) {
    return std::max(d.box.width(), d.box.height()) < 2.f * smallest_full;
  });
  bool tile = options.small_faces == SmallFaces::On ||
              (options.small_faces == SmallFaces::Auto && virtual_full_scale > 2.5f &&
               smallest_full * kf > options.min_face && (dets.empty() || has_small));
  if (tile && virtual_tile_scale >= 1.f) {
    const float keep_below = smallest_full * 1.25f;
    for (auto& t : tiled_pass(detector, work, tile_scale / kf, keep_below)) {
      // Drop pieces of faces the whole-image pass already found (eyes or mouths of close-ups).
      bool inside = std::any_of(dets.begin(), dets.end(), [&](const Detection& d) {
        return intersection_over_first(t.box, d.box) > 0.4f;
      });
      if (!inside) dets.push_back(t);
    }
    dets = nms(std::move(dets), options.nms_iou);
  }
  if (k > 1)
    for (Detection& d : dets) d = d.scaled(kf);
  std::erase_if(dets, [&](const Detection& d) { return std::max(d.box.width(), d.box.height()) < options.min_face; });
  return dets;
}

}  // namespace facesearch
