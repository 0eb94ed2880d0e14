#include "media/video_segments.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "media/video_decoder.hpp"

namespace facesearch {

std::int64_t SampleGrid::slot(double t_ms) const {
  return static_cast<std::int64_t>(std::floor((t_ms + half_frame_ms) / interval_ms));
}

VideoSegments::VideoSegments(std::unique_ptr<VideoDecoder> first, const std::filesystem::path& path,
                             const DecodeOptions& options, const Plan& plan)
    : plan_(plan), keys_ms_(first->key_frames_ms()) {
  // Without an index, or with a single key frame, the stream is one segment, decoded in order.
  if (keys_ms_.size() >= 2) segment_count_ = keys_ms_.size();
  else keys_ms_.clear();
  const int threads = std::clamp(plan_.threads, 1, static_cast<int>(std::min<std::size_t>(segment_count_, 64)));
  threads_.emplace_back(&VideoSegments::work, this, std::move(first), path, options);
  for (int i = 1; i < threads; ++i) threads_.emplace_back(&VideoSegments::work, this, nullptr, path, options);
}

VideoSegments::~VideoSegments() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void VideoSegments::work(std::unique_ptr<VideoDecoder> decoder, const std::filesystem::path& path,
                         const DecodeOptions& options) {
  for (;;) {
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || next_claim_ >= segment_count_) return;
      index = next_claim_++;
      segments_[index];
    }
    std::exception_ptr error;
    try {
      if (!decoder) decoder = open_video_decoder(path, options);
      decode_segment(*decoder, index);
    } catch (...) {
      error = std::current_exception();  // handed to the reader where it happened, never lost on this thread
    }
    {
      std::lock_guard lock(mutex_);
      Segment& segment = segments_[index];
      segment.done = true;
      segment.error = error;
    }
    changed_.notify_all();
    if (error) return;  // the reader stops there
  }
}

void VideoSegments::decode_segment(VideoDecoder& decoder, std::size_t index) {
  const SampleGrid& grid = plan_.grid;
  const bool every = grid.interval_ms <= 0;
  const double end_ms =
      index + 1 < keys_ms_.size() ? keys_ms_[index + 1] : std::numeric_limits<double>::infinity();
  // The slots this segment fills: those due from half an interval before its key frame (where the previous one,
  // which stops at that key frame, may not have reached) until the next key frame.
  std::int64_t next = 0;
  if (!every && index > 0)
    next = static_cast<std::int64_t>(std::floor((keys_ms_[index] - grid.interval_ms / 2) / grid.interval_ms)) + 1;
  auto past_max = [&](double ms) { return plan_.max_ms > 0 && ms > plan_.max_ms; };
  // No sample is due in it: not decoded at all (the other decoder, or this one later, reads past it).
  if (!every && (grid.due_ms(next) >= end_ms || past_max(grid.due_ms(next)))) return;
  if (!keys_ms_.empty() && !decoder.begin_segment(index)) return;
  bool first = index == 0;
  for (;;) {
    // The rest of the segment holds no sample: the next one is due at or past the next key frame.
    if (!every && grid.due_ms(next) >= end_ms) return;
    const std::size_t before = decoder.frames_decoded();
    // A sample may come up to half an interval late (the next slot is still half an interval away), so that the
    // decoder may skip the frames no other frame needs.
    const std::optional<double> t =
        every ? decoder.decode_next(0, 0) : decoder.decode_next(grid.due_ms(next), grid.interval_ms / 2);
    decoded_ += decoder.frames_decoded() - before;
    if (!t || past_max(*t)) return;
    const bool due = every || first || *t + grid.half_frame_ms >= grid.due_ms(next);
    const bool cut = decoder.scene_cut();
    first = false;
    if (!due && !cut) continue;
    if (due && !every) next = std::max(next, grid.slot(*t)) + 1;
    if (!deliver(index, {decoder.frame(plan_.detect_long_side), *t, cut})) return;
  }
}

bool VideoSegments::deliver(std::size_t index, CandidateFrame frame) {
  std::unique_lock lock(mutex_);
  // The segment being read always gets its next frame in (or the reader would wait for it forever); the others
  // share the buffer.
  changed_.wait(lock, [&] {
    return stopping_ || buffered_ < plan_.buffered || (index == reading_ && segments_[index].frames.empty());
  });
  if (stopping_) return false;
  segments_[index].frames.push_back(std::move(frame));
  ++buffered_;
  lock.unlock();
  changed_.notify_all();
  return true;
}

std::optional<CandidateFrame> VideoSegments::next() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (reading_ >= segment_count_) return std::nullopt;
    if (const auto it = segments_.find(reading_); it != segments_.end()) {
      Segment& segment = it->second;
      if (!segment.frames.empty()) {
        CandidateFrame frame = std::move(segment.frames.front());
        segment.frames.pop_front();
        --buffered_;
        lock.unlock();
        changed_.notify_all();
        return frame;
      }
      if (segment.done) {
        const std::exception_ptr error = segment.error;
        segments_.erase(it);
        if (error) {
          reading_ = segment_count_;  // nothing after a failure
          std::rethrow_exception(error);
        }
        ++reading_;
        changed_.notify_all();
        continue;
      }
    }
    changed_.wait(lock);
  }
}

}  // namespace facesearch
