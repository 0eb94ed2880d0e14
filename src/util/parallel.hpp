// One way to spread work over threads: a fixed set of workers (the calling thread is worker 0) that take items
// one at a time. Every thread is joined before these return, and the first exception thrown by any worker is
// rethrown in the caller, so an error never aborts the process or leaves a joinable thread behind.
#pragma once

#include <cstddef>
#include <functional>

namespace facesearch {

// Calls body(worker) once on each of `workers` threads (at least one) and joins them all.
void run_workers(int workers, const std::function<void(int worker)>& body);

// Calls body(item, worker) for every item in [0, count) on min(jobs, count) workers. After an exception no new
// item is started; it is rethrown once all workers have stopped.
void parallel_for(std::size_t count, int jobs, const std::function<void(std::size_t item, int worker)>& body);

// OpenCV's own thread pool would fight our workers for the cores: while this lives, OpenCV uses `threads` threads.
class OpenCvThreads {
 public:
  explicit OpenCvThreads(int threads);
  ~OpenCvThreads();
  OpenCvThreads(const OpenCvThreads&) = delete;
  OpenCvThreads& operator=(const OpenCvThreads&) = delete;

 private:
  int saved_;
};

}  // namespace facesearch
