// Where the benchmarks read the shared labelled photos: $FACESEARCH_TEST_DATA, else ../shared/data beside the
// checkout (FACESEARCH_BENCH_DATA_DEFAULT, set by bench/CMakeLists.txt).
#pragma once

#include <cstdlib>
#include <filesystem>

inline std::filesystem::path bench_data_dir() {
  const char* env = std::getenv("FACESEARCH_TEST_DATA");
  return env && *env ? std::filesystem::path(env) : std::filesystem::path(FACESEARCH_BENCH_DATA_DEFAULT);
}
