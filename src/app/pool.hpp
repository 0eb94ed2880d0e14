// A small blocking pool of expensive, non-thread-safe objects (Engines, Library connections): a request borrows one,
// created on first need up to `max`, and waits when all are busy.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace facesearch::app {

template <class T>
class Pool {
 public:
  using Factory = std::function<std::unique_ptr<T>()>;

  Pool(size_t max, Factory make) : max_(max ? max : 1), make_(std::move(make)) {}

  // Returns the object to the pool when it goes out of scope.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<T> item) : pool_(pool), item_(std::move(item)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (item_) pool_->give_back(std::move(item_));
    }
    T& operator*() const { return *item_; }
    T* operator->() const { return item_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<T> item_;
  };

  Lease acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty() || created_ < max_; });
    if (!idle_.empty()) {
      auto item = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(item));
    }
    ++created_;
    lock.unlock();
    try {
      return Lease(this, make_());  // built outside the lock: loading models takes a while
    } catch (...) {
      lock.lock();
      --created_;
      cv_.notify_one();
      throw;
    }
  }

  // Adds an already built object (e.g. the one made at start-up to check the models).
  void add(std::unique_ptr<T> item) {
    std::lock_guard lock(mutex_);
    ++created_;
    idle_.push_back(std::move(item));
    cv_.notify_one();
  }

 private:
  void give_back(std::unique_ptr<T> item) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(item));
    cv_.notify_one();
  }

  const size_t max_;
  Factory make_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<T>> idle_;
  size_t created_ = 0;
};

}  // namespace facesearch::app
