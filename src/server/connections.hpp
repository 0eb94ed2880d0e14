// httplib serves a connection on one thread from accept to close, so a fixed pool of N threads is held by N idle or
// slow clients and every other request waits. Here each connection gets a thread of its own (up to a cap; more
// wait their turn), so idle sockets and slow senders cost a sleeping thread each and never block /api/status.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include <httplib.h>

namespace facesearch::server {

// Request bodies held in memory at once are bounded too: a body over 64 KiB reserves its Content-Length here before
// httplib reads it. The reservation belongs to the connection's thread and is given back when that thread starts
// its next request or the connection ends, whether or not the body ever arrived.
class BodyBudget {
 public:
  explicit BodyBudget(std::uint64_t bytes) : free_(bytes) {}
  // Releases what this thread held for its previous request, then reserves `bytes`; false when the budget is spent.
  bool reserve(std::uint64_t bytes);
  // Gives back what this thread holds (called by ConnectionThreads when a connection ends).
  static void release_current();

 private:
  std::mutex mutex_;
  std::uint64_t free_;
};

class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(std::size_t max_threads) : max_threads_(max_threads ? max_threads : 1) {}
  void enqueue(std::function<void()> serve_connection) override;
  // Waits for every connection to end (httplib stops their keep-alive waits once the listening socket closes).
  void shutdown() override;

 private:
  void work(std::function<void()> first);

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::deque<std::function<void()>> waiting_;
  std::size_t running_ = 0;
};

}  // namespace facesearch::server
