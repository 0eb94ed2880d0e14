// A frame source read ahead on its own thread: the next frames are decoded while the caller analyses the current
// one, so decoding a video and detecting faces in it use two cores.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "media/frame_source.hpp"

namespace facesearch {

class PrefetchingSource : public FrameSource {
 public:
  // Reads `source` on a thread of its own, at most `depth` frames ahead of next().
  PrefetchingSource(std::unique_ptr<FrameSource> source, std::size_t depth);
  ~PrefetchingSource() override;  // stops reading and joins the thread
  MediaKind kind() const override { return kind_; }
  // The wrapped source's next frame; rethrows what its next() threw, in the same place of the sequence.
  std::optional<Frame> next() override;
  std::size_t frames_decoded() const override;

 private:
  void read_ahead();

  std::unique_ptr<FrameSource> source_;
  const MediaKind kind_;
  const std::size_t depth_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> ready_;
  std::exception_ptr error_;
  bool ended_ = false, stopping_ = false;
  std::size_t decoded_ = 0;
  std::thread reader_;  // last: starts once everything above exists
};

}  // namespace facesearch
