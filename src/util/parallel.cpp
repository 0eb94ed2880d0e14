#include "util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <opencv2/core/utility.hpp>

namespace facesearch {

void run_workers(int workers, const std::function<void(int worker)>& body) {
  workers = std::max(1, workers);
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto guarded = [&](int worker) {
    try {
      body(worker);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(workers - 1));
  try {
    for (int w = 1; w < workers; ++w) threads.emplace_back(guarded, w);
  } catch (...) {  // no thread could be started: the ones running still finish, the error is reported
    std::lock_guard lock(error_mutex);
    if (!first_error) first_error = std::current_exception();
  }
  guarded(0);
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

void parallel_for(std::size_t count, int jobs, const std::function<void(std::size_t item, int worker)>& body) {
  if (count == 0) return;
  const int workers = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(1, jobs)), count));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  run_workers(workers, [&](int worker) {
    try {
      for (std::size_t i = next++; i < count && !failed; i = next++) body(i, worker);
    } catch (...) {
      failed = true;
      throw;
    }
  });
}

OpenCvThreads::OpenCvThreads(int threads) : saved_(cv::getNumThreads()) { cv::setNumThreads(threads); }
OpenCvThreads::~OpenCvThreads() { cv::setNumThreads(saved_); }

}  // namespace facesearch
