#include "media/video_source.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "media/video_decoder.hpp"

namespace facesearch {

namespace {

bool has(std::span<const std::uint8_t> h, std::size_t at, std::string_view magic) {
  return h.size() >= at + magic.size() && std::memcmp(h.data() + at, magic.data(), magic.size()) == 0;
}

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
    : path_(std::move(path)), decode_(options.decode), decoder_(open_video_decoder(path_, decode_)) {
  interval_ms_ = options.video_fps > 0 ? 1000.0 / options.video_fps : 0;
  max_ms_ = options.max_video_seconds > 0 ? options.max_video_seconds * 1000.0 : 0;
}

VideoSource::~VideoSource() = default;

std::size_t VideoSource::frames_decoded() const { return decoder_->frames_decoded(); }

std::optional<Frame> VideoSource::next() {
  for (;;) {
    // The end, whatever the header's duration or frame count said (they may lie); a truncated stream ends early.
    const std::optional<double> t = decoder_->decode_next(sampled_ > 0 ? next_due_ms_ : 0);
    if (!t) {
      if (decoder_->frames_decoded() == 0) throw ImageError("unreadable video: no frame could be decoded");
      return std::nullopt;
    }
    if (max_ms_ > 0 && *t > max_ms_) return std::nullopt;
    // Half a frame of slack so a 2 fps sample of 30 fps video does not drift by one frame per sample.
    const bool due = sampled_ == 0 || *t + decoder_->frame_interval_ms() / 2 >= next_due_ms_;
    // A scene cut between two samples (a key frame the encoder placed off its cadence) is sampled too, so a new
    // shot is seen when it starts, not up to one interval later; that frame was decoded anyway.
    const bool cut = !due && interval_ms_ > 0 && *t - last_sample_ms_ >= interval_ms_ / 4 &&
                     next_due_ms_ - *t >= interval_ms_ / 4 && decoder_->scene_cut();
    if (!due && !cut) continue;
    if (due) next_due_ms_ = std::max(next_due_ms_ + interval_ms_, *t + interval_ms_ / 2);
    last_sample_ms_ = *t;
    ++sampled_;
    return decoder_->frame();
  }
}

Frame VideoSource::frame_at(std::int64_t time_ms) {
  const double want = static_cast<double>(std::max<std::int64_t>(0, time_ms));
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1) {
      // The seek found nothing (a header that lies, a stream that cannot seek): read from the start instead.
      decoder_ = open_video_decoder(path_, decode_);
    } else if (want > 0 && !decoder_->seek(want)) {
      continue;
    }
    bool any = false;
    while (const std::optional<double> t = decoder_->decode_next(want)) {
      any = true;
      if (*t + decoder_->frame_interval_ms() / 2 >= want) break;
    }
    // Past the end: the last frame decoded.
    if (any) return decoder_->frame();
  }
  throw ImageError("unreadable video: no frame could be decoded at " + std::to_string(time_ms) + " ms");
}

Frame read_video_frame(const std::filesystem::path& path, std::int64_t time_ms, const FrameSourceOptions& options) {
  VideoSource source(path, options);
  return source.frame_at(time_ms);
}

}  // namespace facesearch
