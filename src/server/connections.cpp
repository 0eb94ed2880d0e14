#include "server/connections.hpp"

#include <memory>
#include <system_error>
#include <thread>
#include <utility>

namespace facesearch::server {

namespace {

struct HeldBody {
  BodyBudget* budget = nullptr;
  std::uint64_t bytes = 0;
};
thread_local HeldBody held_body;

}  // namespace

bool BodyBudget::reserve(std::uint64_t bytes) {
  release_current();
  std::lock_guard lock(mutex_);
  if (bytes > free_) return false;
  free_ -= bytes;
  held_body = {this, bytes};
  return true;
}

void BodyBudget::release_current() {
  HeldBody held = std::exchange(held_body, {});
  if (!held.budget) return;
  std::lock_guard lock(held.budget->mutex_);
  held.budget->free_ += held.bytes;
}

void ConnectionThreads::enqueue(std::function<void()> serve_connection) {
  std::unique_lock lock(mutex_);
  if (running_ >= max_threads_) {
    waiting_.push_back(std::move(serve_connection));
    return;
  }
  ++running_;
  lock.unlock();
  auto task = std::make_shared<std::function<void()>>(std::move(serve_connection));
  try {
    std::thread([this, task] { work(std::move(*task)); }).detach();
  } catch (const std::system_error&) {  // no thread to be had: served here, on the accepting thread
    work(std::move(*task));
  }
}

void ConnectionThreads::work(std::function<void()> next) {
  for (;;) {
    try {
      next();
    } catch (...) {  // httplib answers handler errors itself; nothing may escape a thread
    }
    BodyBudget::release_current();
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) {
      --running_;
      all_done_.notify_all();
      return;
    }
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
}

void ConnectionThreads::shutdown() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [this] { return running_ == 0 && waiting_.empty(); });
}

}  // namespace facesearch::server
