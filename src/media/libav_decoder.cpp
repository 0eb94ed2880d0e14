#include "media/video_decoder.hpp"

#include <cstdint>
#include <vector>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <system_error>

#include <opencv2/core.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

namespace facesearch {

class LibavDecoder final : public VideoDecoder {
 public:
  LibavDecoder(const std::filesystem::path& path, const DecodeOptions& options);
  ~LibavDecoder() override;
  std::optional<double> decode_next(double wanted_ms, double slack_ms) override;
  Frame frame(int detect_long_side) const override;
  bool seek(double time_ms) override;
  std::vector<double> key_frames_ms() const override;
  bool begin_segment(std::size_t index) override;
  std::size_t frames_decoded() const override { return decoded_; }
  bool scene_cut() const override;
  double frame_interval_ms() const override { return frame_ms_; }

 private:
  struct Av;  // libav* handles
  bool read_packet();  // the next packet of the stream into Av::packet; false at the end
  // The next packet worth decoding, past everything before a key frame that `wanted_ms` lies beyond (the decoder
  // then starts afresh there); false at the end.
  bool next_packet(double wanted_ms);
  std::optional<std::int64_t> jump_target(double wanted_ms) const;  // a key frame's timestamp worth jumping to
  double to_ms(std::int64_t ts) const;
  std::int64_t to_ts(double ms) const;

  std::unique_ptr<Av> av_;
  DecodeOptions options_;
  std::vector<std::int64_t> key_frames_;  // timestamps (stream time base) of the index's key frames, ascending
  std::vector<double> cut_ms_;            // times of those that come sooner than the regular cadence, ascending
  std::int64_t start_ts_ = 0;
  double frame_ms_ = 0;
  double last_ms_ = -1;
  int rotation_ = 0;  // clockwise degrees that turn a stored frame upright: 0, 90, 180 or 270
  bool draining_ = false, ended_ = false;
  // Av::packet holds a packet read but not yet given to the decoder (the key frame that starts a segment).
  bool pending_ = false;
  bool segmented_ = false;  // decoding one segment (begin_segment), which ends at segment_end_
  std::int64_t segment_end_ = INT64_MAX;
  std::size_t decoded_ = 0;
};

struct LibavDecoder::Av {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();     // the frame decode_next() returned last
  AVFrame* received = av_frame_alloc();  // what the decoder hands over next
  mutable SwsContext* scaler = nullptr;
  mutable SwsContext* detect_scaler = nullptr;  // to Frame::detect_bgr
  std::int64_t fed_ts = INT64_MIN;  // decode timestamp of the last packet given to the decoder

  ~Av() {
    sws_freeContext(detect_scaler);
    sws_freeContext(scaler);
    av_frame_free(&received);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }
};

namespace {

// libav* print to stderr on their own (damaged macroblocks, deprecated pixel formats); this program reports bad
// files itself, with one reason per file, so their log is off.
void silence_libav() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

std::int64_t packet_ts(const AVPacket* p) { return p->dts != AV_NOPTS_VALUE ? p->dts : p->pts; }

// Clockwise degrees that turn a stored frame upright, from the stream's display matrix (phones store portrait
// video landscape and say so there).
int display_rotation(const AVStream* stream) {
  const auto* matrix =
      reinterpret_cast<const int32_t*>(av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
  if (!matrix) return 0;
  // The matrix turns the stored frame counter-clockwise by this angle (av_display_rotation_get's convention)
  // for display; the test clips (tests/test_video.cpp, a phone's 90-degree portrait) check the direction.
  const double angle = av_display_rotation_get(matrix);
  if (!std::isfinite(angle)) return 0;
  return ((static_cast<int>(std::lround(angle / 90.0)) * 90) % 360 + 360) % 360;
}

// ReadError is header-only for this module (it does not link the image library).
ReadError storage_failed() { return ReadError("cannot read file: " + std::generic_category().message(EIO)); }

}  // namespace

LibavDecoder::LibavDecoder(const std::filesystem::path& path, const DecodeOptions& options)
    : av_(std::make_unique<Av>()), options_(options) {
  silence_libav();
  const char* unreadable = "unreadable video: no decodable video stream (corrupt, truncated or audio only)";
  if (!av_->packet || !av_->frame || !av_->received) throw std::bad_alloc();
  if (const int opened = avformat_open_input(&av_->format, path.c_str(), nullptr, nullptr); opened < 0) {
    if (opened == AVERROR(EIO)) throw storage_failed();
    throw ImageError(unreadable);
  }
  if (avformat_find_stream_info(av_->format, nullptr) < 0) throw ImageError(unreadable);
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(av_->format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index < 0 || !codec) throw ImageError(unreadable);
  av_->stream = av_->format->streams[index];
  // Cover art of a music file is a "video" stream of one picture: that file is audio.
  if (av_->stream->disposition & AV_DISPOSITION_ATTACHED_PIC) throw ImageError(unreadable);
  const AVCodecParameters* par = av_->stream->codecpar;
  if (par->width <= 0 || par->height <= 0) throw ImageError("unreadable video: no frame size in its header");
  if (static_cast<double>(par->width) * par->height > static_cast<double>(options_.max_pixels))
    throw ImageError("video frames too large: " + std::to_string(par->width) + "x" + std::to_string(par->height) +
                     " pixels");

  av_->codec = avcodec_alloc_context3(codec);
  if (!av_->codec || avcodec_parameters_to_context(av_->codec, par) < 0) throw ImageError(unreadable);
  // One decoding thread: the engine already runs one file per core.
  av_->codec->thread_count = 1;
  if (avcodec_open2(av_->codec, codec, nullptr) < 0) throw ImageError(unreadable);

  for (std::size_t i = 0; i < av_->format->nb_streams; ++i)
    if (static_cast<int>(i) != index) av_->format->streams[i]->discard = AVDISCARD_ALL;  // audio is never read
  start_ts_ = av_->stream->start_time != AV_NOPTS_VALUE ? av_->stream->start_time : 0;
  const AVRational rate = av_guess_frame_rate(av_->format, av_->stream, nullptr);
  if (rate.num > 0 && rate.den > 0 && av_q2d(rate) <= 1000) frame_ms_ = 1000.0 / av_q2d(rate);
  rotation_ = display_rotation(av_->stream);
  // The container's index, where it has one (MP4/MOV always), says where decoding may start afresh.
  const int entries = avformat_index_get_entries_count(av_->stream);
  for (int i = 0; i < entries; ++i)
    if (const AVIndexEntry* e = avformat_index_get_entry(av_->stream, i); e && (e->flags & AVINDEX_KEYFRAME))
      key_frames_.push_back(e->timestamp);
  std::sort(key_frames_.begin(), key_frames_.end());
  key_frames_.erase(std::unique(key_frames_.begin(), key_frames_.end()), key_frames_.end());
  // The longest gap between key frames is the encoder's cadence (its GOP length); a key frame that comes clearly
  // sooner than that after the previous one was placed there for a scene cut.
  std::int64_t cadence = 0;
  for (std::size_t i = 1; i < key_frames_.size(); ++i) cadence = std::max(cadence, key_frames_[i] - key_frames_[i - 1]);
  if (key_frames_.size() >= 3)
    for (std::size_t i = 1; i < key_frames_.size(); ++i)
      if (static_cast<double>(key_frames_[i] - key_frames_[i - 1]) < 0.9 * static_cast<double>(cadence))
        cut_ms_.push_back(to_ms(key_frames_[i]));
}

bool LibavDecoder::scene_cut() const {
  if (!av_->frame->key_frame || cut_ms_.empty() || last_ms_ < 0) return false;
  // The index holds decode times; a key frame is shown up to a few frames later (B-frame reordering).
  const double slack = 4 * (frame_ms_ > 0 ? frame_ms_ : 40.0);
  const auto it = std::lower_bound(cut_ms_.begin(), cut_ms_.end(), last_ms_ - slack);
  return it != cut_ms_.end() && *it <= last_ms_ + 1;
}

LibavDecoder::~LibavDecoder() = default;

double LibavDecoder::to_ms(std::int64_t ts) const {
  return static_cast<double>(ts - start_ts_) * av_q2d(av_->stream->time_base) * 1000.0;
}

std::int64_t LibavDecoder::to_ts(double ms) const {
  return start_ts_ + static_cast<std::int64_t>(std::floor(ms / 1000.0 / av_q2d(av_->stream->time_base)));
}

bool LibavDecoder::read_packet() {
  for (;;) {
    av_packet_unref(av_->packet);
    if (const int read = av_read_frame(av_->format, av_->packet); read < 0) {
      // The storage failing mid-file is not the file's end: the appearances after it would be lost for good.
      if (read == AVERROR(EIO)) throw storage_failed();
      return false;  // the end, or a truncated file's end
    }
    if (av_->packet->stream_index == av_->stream->index) return true;
  }
}

std::optional<std::int64_t> LibavDecoder::jump_target(double wanted_ms) const {
  if (key_frames_.empty() || wanted_ms <= 0) return std::nullopt;
  const std::int64_t wanted = to_ts(wanted_ms);
  auto after = std::upper_bound(key_frames_.begin(), key_frames_.end(), wanted);
  if (after == key_frames_.begin()) return std::nullopt;
  const std::int64_t key = *std::prev(after);
  if (key <= av_->fed_ts) return std::nullopt;  // the decoder is already past it
  return key;
}

bool LibavDecoder::next_packet(double wanted_ms) {
  if (pending_) {
    pending_ = false;
    return true;
  }
  if (!read_packet()) return false;
  if (segmented_) {
    // The next segment's key frame ends this one; it stays for begin_segment.
    const bool ends = (av_->packet->flags & AV_PKT_FLAG_KEY) && packet_ts(av_->packet) >= segment_end_;
    pending_ = ends;
    return !ends;
  }
  const std::optional<std::int64_t> key = jump_target(wanted_ms);
  if (!key) return true;
  // Nothing before the key frame is needed: read past it without decoding, then start afresh there.
  while (!((av_->packet->flags & AV_PKT_FLAG_KEY) && packet_ts(av_->packet) >= *key))
    if (!read_packet()) return false;
  avcodec_flush_buffers(av_->codec);
  return true;
}

std::optional<double> LibavDecoder::decode_next(double wanted_ms, double slack_ms) {
  if (ended_) return std::nullopt;
  for (;;) {
    const int received = avcodec_receive_frame(av_->codec, av_->received);
    if (received == 0) {
      ++decoded_;
      const AVFrame* f = av_->received;
      if (static_cast<double>(f->width) * f->height > static_cast<double>(options_.max_pixels))
        throw ImageError("video frames too large: " + std::to_string(f->width) + "x" + std::to_string(f->height) +
                         " pixels");
      const std::int64_t ts = f->best_effort_timestamp;
      const double ms = ts != AV_NOPTS_VALUE ? to_ms(ts) : (last_ms_ < 0 ? 0 : last_ms_ + frame_ms_);
      av_frame_unref(av_->frame);
      av_frame_move_ref(av_->frame, av_->received);
      last_ms_ = ms;
      return ms;
    }
    if (received == AVERROR_EOF || draining_) {
      ended_ = true;
      return std::nullopt;
    }
    // The decoder wants input (or dropped a damaged frame): give it the next packet.
    if (!next_packet(wanted_ms)) {
      avcodec_send_packet(av_->codec, nullptr);  // the end: the frames it still holds come out
      draining_ = true;
      continue;
    }
    // Frames shown well before the wanted time need not be decoded, unless another frame refers to them.
    const std::int64_t pts = av_->packet->pts;
    const double shown_ms = pts != AV_NOPTS_VALUE ? to_ms(pts) : std::numeric_limits<double>::infinity();
    const bool early = shown_ms < wanted_ms - frame_ms_ / 2;
    // Where a later frame may stand in, H.264's B-frames are not needed either: only B-frames refer to them (as
    // x264 writes streams), and the I- or P-frame they precede is shown within a few frames. An x264 stream sampled
    // at 2 per second then decodes about half the frames it did (bench/video.sh: 376 instead of 740 a minute).
    const bool stand_in =
        av_->codec->codec_id == AV_CODEC_ID_H264 && slack_ms > 0 && shown_ms < wanted_ms + slack_ms;
    av_->codec->skip_frame = stand_in ? AVDISCARD_BIDIR : early ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    // A frame decoded early only serves as a reference: skipping its deblocking filter saves about a fifth of the
    // decoding. The sample itself is filtered; the small drift this leaves in it does not change what is detected.
    av_->codec->skip_loop_filter = early ? AVDISCARD_ALL : AVDISCARD_DEFAULT;
    av_->fed_ts = packet_ts(av_->packet);
    avcodec_send_packet(av_->codec, av_->packet);  // a damaged packet is dropped; the stream goes on
  }
}

std::vector<double> LibavDecoder::key_frames_ms() const {
  std::vector<double> ms;
  ms.reserve(key_frames_.size());
  for (std::int64_t ts : key_frames_) ms.push_back(to_ms(ts));
  return ms;
}

bool LibavDecoder::begin_segment(std::size_t index) {
  segmented_ = true;
  segment_end_ = index + 1 < key_frames_.size() ? key_frames_[index + 1] : INT64_MAX;
  draining_ = ended_ = false;
  last_ms_ = -1;
  if (index == 0) return true;  // from the stream's start, whatever precedes the first indexed key frame
  if (index >= key_frames_.size()) return false;
  // Read (not decode) up to the key frame that starts the segment.
  while (!pending_ || !(av_->packet->flags & AV_PKT_FLAG_KEY) || packet_ts(av_->packet) < key_frames_[index]) {
    if (!read_packet()) {
      pending_ = false;
      ended_ = true;
      return false;
    }
    pending_ = true;
  }
  avcodec_flush_buffers(av_->codec);
  // The key frame found lies past the segment (the index and the packets disagree): the segment is empty.
  if (packet_ts(av_->packet) >= segment_end_) ended_ = true;
  return true;
}

bool LibavDecoder::seek(double time_ms) {
  if (av_seek_frame(av_->format, av_->stream->index, to_ts(std::max(0.0, time_ms)), AVSEEK_FLAG_BACKWARD) < 0)
    return false;
  avcodec_flush_buffers(av_->codec);
  av_->fed_ts = INT64_MIN;
  draining_ = ended_ = pending_ = segmented_ = false;
  last_ms_ = -1;
  return true;
}

namespace {

// The frame converted to BGR at w x h (one pass of libswscale: colour conversion and scaling together), turned
// upright.
cv::Mat convert(const AVFrame* f, int w, int h, int rotation, SwsContext*& scaler) {
  const bool shrinking = w < f->width || h < f->height;
  scaler = sws_getCachedContext(scaler, f->width, f->height, static_cast<AVPixelFormat>(f->format), w, h,
                                AV_PIX_FMT_BGR24, shrinking ? SWS_AREA : SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!scaler) throw ImageError("unreadable video: frames in a pixel format that cannot be converted");
  cv::Mat bgr(h, w, CV_8UC3);
  uint8_t* planes[4] = {bgr.data, nullptr, nullptr, nullptr};
  int strides[4] = {static_cast<int>(bgr.step), 0, 0, 0};
  sws_scale(scaler, f->data, f->linesize, 0, f->height, planes, strides);
  cv::Mat upright;
  switch (rotation) {
    case 90: cv::rotate(bgr, upright, cv::ROTATE_90_CLOCKWISE); return upright;
    case 180: cv::rotate(bgr, upright, cv::ROTATE_180); return upright;
    case 270: cv::rotate(bgr, upright, cv::ROTATE_90_COUNTERCLOCKWISE); return upright;
    default: return bgr;
  }
}

// How much to divide a w x h frame by so that its long side is not above `long_side` (<= 0: no limit).
double reduction(int w, int h, int long_side) {
  const int longest = std::max(w, h);
  return long_side > 0 && longest > long_side ? static_cast<double>(longest) / long_side : 1.0;
}

cv::Size reduced(int w, int h, double by) {
  return {std::max(1, static_cast<int>(std::lround(w / by))), std::max(1, static_cast<int>(std::lround(h / by)))};
}

}  // namespace

Frame LibavDecoder::frame(int detect_long_side) const {
  const AVFrame* f = av_->frame;
  Frame out;
  out.time_ms = std::llround(std::max(0.0, last_ms_));
  const bool turned = rotation_ == 90 || rotation_ == 270;
  out.image.width = turned ? f->height : f->width;
  out.image.height = turned ? f->width : f->height;
  // Detection never needs more than min_long_side: shrink while converting, so a 4K sample costs what a 1080p
  // one does.
  const double scale = reduction(f->width, f->height, options_.min_long_side);
  const cv::Size size = reduced(f->width, f->height, scale);
  out.image.scale = scale;
  out.image.bgr = convert(f, size.width, size.height, rotation_, av_->scaler);
  // The detector's copy straight from YUV: shrinking the BGR frame with OpenCV costs several times more.
  const double detect_scale = reduction(f->width, f->height, detect_long_side);
  if (detect_scale > scale) {
    const cv::Size small = reduced(f->width, f->height, detect_scale);
    out.detect_bgr = convert(f, small.width, small.height, rotation_, av_->detect_scaler);
  }
  return out;
}

}  // namespace facesearch

extern "C" __attribute__((visibility("default"))) facesearch::VideoDecoder* facesearch_open_video_decoder_v3(
    const std::filesystem::path& path, const facesearch::DecodeOptions& options) {
  return new facesearch::LibavDecoder(path, options);
}
