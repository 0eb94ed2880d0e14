#include "media/video_source.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace facesearch {

namespace {

bool has(std::span<const std::uint8_t> h, std::size_t at, std::string_view magic) {
  return h.size() >= at + magic.size() && std::memcmp(h.data() + at, magic.data(), magic.size()) == 0;
}

// Beyond this many frames per second a header is lying (or a variable-rate stream gives no useful average).
constexpr double kMaxPlausibleFps = 1000;

}  // namespace

bool VideoSource::sniff(std::span<const std::uint8_t> h) {
  // ISO-BMFF (MP4, M4V, 3GP) and QuickTime: a box type at offset 4. HEIF photos also start with "ftyp"; they
  // are registered first and claimed by the photo sniffer. Old QuickTime files may start with another atom.
  for (std::string_view box : {"ftyp", "moov", "mdat", "wide", "free", "skip"})
    if (has(h, 4, box)) return true;
  if (has(h, 0, "\x1A\x45\xDF\xA3")) return true;               // EBML: Matroska, WebM
  if (has(h, 0, "RIFF") && has(h, 8, "AVI ")) return true;      // AVI
  return false;
}

VideoSource::VideoSource(std::filesystem::path path, const FrameSourceOptions& options)
    : path_(std::move(path)), capture_(std::make_unique<cv::VideoCapture>()) {
  if (!capture_->open(path_.string(), cv::CAP_FFMPEG))
    throw ImageError("unreadable video: no decodable video stream (corrupt, truncated or audio only)");
  // Phones store portrait video landscape with a display matrix: frames come out upright.
  capture_->set(cv::CAP_PROP_ORIENTATION_AUTO, 1);
  const double width = capture_->get(cv::CAP_PROP_FRAME_WIDTH), height = capture_->get(cv::CAP_PROP_FRAME_HEIGHT);
  if (!(width > 0 && height > 0)) throw ImageError("unreadable video: no frame size in its header");
  if (width * height > static_cast<double>(options.decode.max_pixels))
    throw ImageError("video frames too large: " + std::to_string(std::lround(width)) + "x" +
                     std::to_string(std::lround(height)) + " pixels");
  min_long_side_ = options.decode.min_long_side;
  fps_ = capture_->get(cv::CAP_PROP_FPS);
  if (!(fps_ > 0 && fps_ <= kMaxPlausibleFps)) fps_ = 0;
  interval_ms_ = options.video_fps > 0 ? 1000.0 / options.video_fps : 0;
  max_ms_ = options.max_video_seconds > 0 ? options.max_video_seconds * 1000.0 : 0;
}

VideoSource::~VideoSource() = default;

// The container's timestamp of the frame just grabbed; from its index and the header's rate when there is none.
double VideoSource::position_ms() const {
  const double pos = capture_->get(cv::CAP_PROP_POS_MSEC);
  if (std::isfinite(pos) && pos >= 0 && (pos > 0 || grabbed_ <= 1)) return pos;
  return fps_ > 0 ? static_cast<double>(grabbed_ - 1) * 1000.0 / fps_ : 0;
}

std::optional<Frame> VideoSource::next() {
  for (;;) {
    if (!capture_->grab()) {
      // The end, whatever the header's duration or frame count said (they may lie); a truncated stream ends early.
      if (grabbed_ == 0) throw ImageError("unreadable video: no frame could be decoded");
      return std::nullopt;
    }
    ++grabbed_;
    const double t = position_ms();
    if (max_ms_ > 0 && t > max_ms_) return std::nullopt;
    // Half a frame of slack so a 2 fps sample of 30 fps video does not drift by one frame per sample.
    const double half_frame = fps_ > 0 ? 500.0 / fps_ : 0;
    if (sampled_ > 0 && t + half_frame < next_due_ms_) continue;
    next_due_ms_ = std::max(next_due_ms_ + interval_ms_, t + interval_ms_ / 2);

    cv::Mat bgr;
    if (!capture_->retrieve(bgr) || bgr.empty() || bgr.type() != CV_8UC3)
      throw ImageError("unreadable video: frame at " + std::to_string(std::lround(t)) + " ms cannot be decoded");
    ++sampled_;
    return to_frame(bgr, t);
  }
}

Frame VideoSource::to_frame(cv::Mat& bgr, double time_ms) const {
  Frame frame;
  frame.time_ms = std::llround(time_ms);
  frame.image.width = bgr.cols;
  frame.image.height = bgr.rows;
  const int long_side = std::max(bgr.cols, bgr.rows);
  if (min_long_side_ > 0 && long_side > min_long_side_) {
    // Detection never needs more than min_long_side: shrink now so a 4K sample costs what a 1080p one does.
    frame.image.scale = static_cast<double>(long_side) / min_long_side_;
    cv::resize(bgr, frame.image.bgr,
               {static_cast<int>(std::lround(bgr.cols / frame.image.scale)),
                static_cast<int>(std::lround(bgr.rows / frame.image.scale))},
               0, 0, cv::INTER_AREA);
  } else {
    frame.image.bgr = std::move(bgr);
  }
  return frame;
}

Frame VideoSource::frame_at(std::int64_t time_ms) {
  double want = static_cast<double>(std::max<std::int64_t>(0, time_ms));
  const double half_frame = fps_ > 0 ? 500.0 / fps_ : 0;
  // Past the end (by the header) means the last frame: seek to it rather than past it.
  const double frames = capture_->get(cv::CAP_PROP_FRAME_COUNT);
  if (fps_ > 0 && frames > 1) want = std::min(want, (frames - 1) * 1000.0 / fps_);
  // OpenCV's FFmpeg seek lands on the frame itself (it decodes forward from the key frame before).
  if (want > 0) capture_->set(cv::CAP_PROP_POS_MSEC, want);
  cv::Mat bgr, last;
  double last_t = 0;
  for (int attempt = 0; attempt < 2 && last.empty(); ++attempt) {
    if (attempt == 1) {
      // The seek found nothing (a header that lies, a stream that cannot seek): read from the start instead.
      if (!capture_->open(path_.string(), cv::CAP_FFMPEG)) break;
      capture_->set(cv::CAP_PROP_ORIENTATION_AUTO, 1);
      grabbed_ = 0;
    }
    while (capture_->grab()) {
      ++grabbed_;
      const double t = position_ms();
      if (!capture_->retrieve(bgr) || bgr.empty() || bgr.type() != CV_8UC3) break;
      std::swap(last, bgr);  // the next retrieve writes into the other buffer
      last_t = t;
      if (t + half_frame >= want) break;
    }
  }
  if (last.empty())
    throw ImageError("unreadable video: no frame could be decoded at " + std::to_string(time_ms) + " ms");
  return to_frame(last, last_t);
}

Frame read_video_frame(const std::filesystem::path& path, std::int64_t time_ms, const FrameSourceOptions& options) {
  VideoSource source(path, options);
  return source.frame_at(time_ms);
}

}  // namespace facesearch
