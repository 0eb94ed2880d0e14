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
  plan_.grid.interval_ms = options.video_fps > 0 ? 1000.0 / options.video_fps : 0;
  plan_.grid.half_frame_ms = decoder_->frame_interval_ms() / 2;
  plan_.max_ms = options.max_video_seconds > 0 ? options.max_video_seconds * 1000.0 : 0;
  plan_.detect_long_side = options.detect_long_side;
  plan_.threads = std::max(1, options.decode_threads);
}

VideoSource::~VideoSource() = default;

std::size_t VideoSource::frames_decoded() const {
  return segments_ ? segments_->frames_decoded() : decoder_->frames_decoded();
}

std::optional<Frame> VideoSource::next() {
  if (!segments_) segments_ = std::make_unique<VideoSegments>(std::move(decoder_), path_, decode_, plan_);
  const SampleGrid& grid = plan_.grid;
  for (;;) {
    // The end, whatever the header's duration or frame count said (they may lie); a truncated stream ends early.
    std::optional<CandidateFrame> candidate = segments_->next();
    if (!candidate) {
      if (segments_->frames_decoded() == 0) throw ImageError("unreadable video: no frame could be decoded");
      return std::nullopt;
    }
    const double t = candidate->time_ms;
    if (plan_.max_ms > 0 && t > plan_.max_ms) return std::nullopt;
    // The decoders offer every frame that may be a sample; where two segments meet, both may offer one for the
    // same slot, and the first one fills it.
    const bool due = sampled_ == 0 || grid.interval_ms <= 0 || grid.slot(t) >= next_slot_;
    // A scene cut between two samples (a key frame the encoder placed off its cadence) is sampled too, so a new
    // shot is seen when it starts, not up to one interval later; that frame was decoded anyway.
    const bool cut = !due && t - last_sample_ms_ >= grid.interval_ms / 4 &&
                     grid.due_ms(next_slot_) - t >= grid.interval_ms / 4 && candidate->scene_cut;
    if (!due && !cut) continue;
    if (due && grid.interval_ms > 0) next_slot_ = std::max(next_slot_, grid.slot(t)) + 1;
    last_sample_ms_ = t;
    ++sampled_;
    return std::move(candidate->frame);
  }
}

Frame VideoSource::frame_at(std::int64_t time_ms) {
  if (!decoder_) decoder_ = open_video_decoder(path_, decode_);
  const double want = static_cast<double>(std::max<std::int64_t>(0, time_ms));
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1) {
      // The seek found nothing (a header that lies, a stream that cannot seek): read from the start instead.
      decoder_ = open_video_decoder(path_, decode_);
    } else if (want > 0 && !decoder_->seek(want)) {
      continue;
    }
    bool any = false;
    while (const std::optional<double> t = decoder_->decode_next(want, 0)) {
      any = true;
      if (*t + decoder_->frame_interval_ms() / 2 >= want) break;
    }
    // Past the end: the last frame decoded.
    if (any) return decoder_->frame(0);
  }
  throw ImageError("unreadable video: no frame could be decoded at " + std::to_string(time_ms) + " ms");
}

Frame read_video_frame(const std::filesystem::path& path, std::int64_t time_ms, const FrameSourceOptions& options) {
  VideoSource source(path, options);
  return source.frame_at(time_ms);
}

}  // namespace facesearch
