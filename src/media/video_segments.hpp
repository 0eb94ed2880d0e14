// A video's samples decoded on several threads at once: the groups of pictures between the key frames of the
// container's index are independent, so each thread decodes every other one (each from its own key frame, with a
// decoder of its own) and the frames are handed over in time order. Internal to media/ (VideoSource uses it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "media/frame_source.hpp"

namespace facesearch {

class VideoDecoder;

// Which frames are samples: one per slot of `interval_ms` of stream time (slot k is due at k * interval_ms), the
// first frame shown at or after the slot's time (half a frame early counts: no drift by one frame per sample).
struct SampleGrid {
  double interval_ms = 500;  // 0: every frame is a sample
  double half_frame_ms = 0;  // half the header's frame interval
  // The last slot a frame shown at `t_ms` fills.
  std::int64_t slot(double t_ms) const;
  double due_ms(std::int64_t slot) const { return static_cast<double>(slot) * interval_ms; }
};

// A frame that may be a sample: it fills a slot its segment had not filled yet, or it starts a new shot.
struct CandidateFrame {
  Frame frame;
  double time_ms = 0;
  bool scene_cut = false;  // VideoDecoder::scene_cut()
};

class VideoSegments {
 public:
  struct Plan {
    SampleGrid grid;
    double max_ms = 0;          // 0: the whole video
    int detect_long_side = 0;   // Frame::detect_bgr
    int threads = 2;            // decoders at most (one per segment in flight)
    std::size_t buffered = 4;   // frames decoded ahead of the reader, over all segments (plus one)
  };
  // Decodes with `first` and, for further threads, decoders opened on `path` with `options`. Threads start here.
  VideoSegments(std::unique_ptr<VideoDecoder> first, const std::filesystem::path& path, const DecodeOptions& options,
                const Plan& plan);
  ~VideoSegments();  // stops the threads and joins them
  VideoSegments(const VideoSegments&) = delete;
  VideoSegments& operator=(const VideoSegments&) = delete;

  // The next candidate in time order; nullopt after the last. Rethrows what a decoder threw (a frame over the pixel
  // limit, the storage failing) where it happened in the sequence.
  std::optional<CandidateFrame> next();
  std::size_t frames_decoded() const { return decoded_.load(); }

 private:
  struct Segment {
    std::deque<CandidateFrame> frames;  // decoded, not yet read; oldest first
    bool done = false;
    std::exception_ptr error;
  };
  void work(std::unique_ptr<VideoDecoder> decoder, const std::filesystem::path& path, const DecodeOptions& options);
  void decode_segment(VideoDecoder& decoder, std::size_t index);
  // Hands a candidate of segment `index` to the reader once there is room; false when stopping.
  bool deliver(std::size_t index, CandidateFrame frame);

  Plan plan_;
  std::vector<double> keys_ms_;  // decode times of the index's key frames; segment i starts at key i
  std::size_t segment_count_ = 1;
  std::atomic<std::size_t> decoded_{0};

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::size_t, Segment> segments_;  // claimed and not yet read to the end
  std::size_t next_claim_ = 0, reading_ = 0, buffered_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: they start once everything above exists
};

}  // namespace facesearch
