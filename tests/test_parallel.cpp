// run_workers / parallel_for: every item once, every thread joined, a worker's exception reaches the caller.
#include <atomic>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "util/parallel.hpp"

using namespace facesearch;

TEST(Parallel, EveryItemExactlyOnce) {
  std::vector<std::atomic<int>> seen(1000);
  parallel_for(seen.size(), 4, [&](std::size_t i, int) { ++seen[i]; });
  for (const auto& s : seen) EXPECT_EQ(s.load(), 1);
}

TEST(Parallel, WorkersAreNumberedAndBounded) {
  std::vector<std::atomic<int>> used(3);
  parallel_for(100, 3, [&](std::size_t, int worker) {
    ASSERT_GE(worker, 0);
    ASSERT_LT(worker, 3);
    ++used[static_cast<std::size_t>(worker)];
  });
  int total = 0;
  for (const auto& u : used) total += u.load();
  EXPECT_EQ(total, 100);
  // Fewer items than jobs: no idle worker is started.
  std::atomic<int> max_worker{-1};
  parallel_for(2, 8, [&](std::size_t, int worker) {
    int m = max_worker.load();
    while (worker > m && !max_worker.compare_exchange_weak(m, worker)) {
    }
  });
  EXPECT_LE(max_worker.load(), 1);
}

TEST(Parallel, ExceptionInAWorkerIsRethrownAfterAllJoin) {
  std::atomic<int> started{0};
  EXPECT_THROW(parallel_for(10000, 2,
                            [&](std::size_t i, int) {
                              ++started;
                              if (i == 10) throw std::runtime_error("disk full");
                            }),
               std::runtime_error);
  // The run stopped early instead of finishing every item.
  EXPECT_LT(started.load(), 10000);
  try {
    run_workers(3, [](int worker) {
      if (worker == 2) throw std::runtime_error("worker 2 failed");
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "worker 2 failed");
  }
}

TEST(Parallel, NothingToDo) {
  bool called = false;
  parallel_for(0, 4, [&](std::size_t, int) { called = true; });
  EXPECT_FALSE(called);
}
