#include "media/prefetch.hpp"

#include <algorithm>

namespace facesearch {

PrefetchingSource::PrefetchingSource(std::unique_ptr<FrameSource> source, std::size_t depth)
    : source_(std::move(source)), kind_(source_->kind()), depth_(std::max<std::size_t>(1, depth)),
      reader_([this] { read_ahead(); }) {}

PrefetchingSource::~PrefetchingSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  reader_.join();
}

void PrefetchingSource::read_ahead() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || ready_.size() < depth_; });
      if (stopping_) return;
    }
    std::optional<Frame> frame;
    std::exception_ptr error;
    try {
      frame = source_->next();
    } catch (...) {
      error = std::current_exception();  // handed to the reader of next(), never lost on this thread
    }
    {
      std::lock_guard lock(mutex_);
      decoded_ = source_->frames_decoded();
      if (frame) ready_.push_back(std::move(*frame));
      else ended_ = true;
      error_ = error;
    }
    changed_.notify_all();
    if (!frame) return;
  }
}

std::optional<Frame> PrefetchingSource::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || ended_; });
  if (ready_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }
  Frame frame = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return frame;
}

std::size_t PrefetchingSource::frames_decoded() const {
  std::lock_guard lock(mutex_);
  return decoded_;
}

}  // namespace facesearch
