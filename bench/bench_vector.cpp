// Query latency, recall@10, build time and memory of the vector indexes at 10k, 100k and 1M vectors (dim
// 512).
//
//   build/bench/bench_vector [--benchmark_...]
//
// Environment:
//   FS_BENCH_SIZES=10000,100000,1000000  vector counts
//   FS_BENCH_EFC_1M=200                  HNSW ef_construction from 1M vectors up (default 200)
//   FS_BENCH_UNIFORM=1                   also HNSW recall on structureless uniform vectors (up to 100k)
//   FS_BENCH_CACHE=DIR                   keep built HNSW graphs (and their build time) there and reuse them
//                                        on the next run: a 1M build takes minutes
//
// The data is face-like: n/20 random identity centres on the unit sphere, 20 samples per identity
// (normalize(centre + noise), same-identity cosine ~0.6, other identities ~0), queries are fresh samples of
// random identities. Recall is measured against exact-f32 on the same queries. Builds use all cores.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "vector/vector_index.hpp"

using namespace facesearch;

namespace {

constexpr int kDim = 512;
constexpr std::size_t kK = 10;
constexpr std::size_t kQueries = 1000;

unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::stoull(v) : fallback;
}

std::vector<std::size_t> sizes() {
  std::vector<std::size_t> out;
  std::stringstream list(std::getenv("FS_BENCH_SIZES") ? std::getenv("FS_BENCH_SIZES")
                                                       : "10000,100000,1000000");
  for (std::string item; std::getline(list, item, ',');) out.push_back(std::stoull(item));
  return out;
}

void normalize(float* v) {
  double norm = 0;
  for (int i = 0; i < kDim; ++i) norm += double(v[i]) * v[i];
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (int i = 0; i < kDim; ++i) v[i] *= scale;
}

// Filled in parallel (one generator per chunk) so that 1M x 512 takes seconds, not a minute.
template <typename Fill>
void parallel_rows(std::size_t rows, Fill fill) {
  std::vector<std::jthread> pool;
  const unsigned t = cores();
  for (unsigned w = 0; w < t; ++w) {
    pool.emplace_back([=] {
      for (std::size_t i = w; i < rows; i += t) fill(i);
    });
  }
}

struct Dataset {
  bool face_like = true;
  std::size_t n = 0;
  std::vector<float> data;
  std::vector<float> queries;
  std::vector<FaceId> ids;
};

Dataset make_dataset(std::size_t n, bool face_like, std::uint64_t seed) {
  Dataset d;
  d.face_like = face_like;
  d.n = n;
  const std::size_t identities = std::max<std::size_t>(1, n / 20);
  std::vector<float> centres(identities * kDim);
  auto gaussian_row = [&](float* out, std::uint64_t s, float sigma) {
    std::mt19937_64 rng(s);
    std::normal_distribution<float> normal(0.f, sigma);
    for (int j = 0; j < kDim; ++j) out[j] = normal(rng);
  };
  parallel_rows(identities, [&](std::size_t i) {
    gaussian_row(centres.data() + i * kDim, seed * 1000003 + i, 1.f);
    normalize(centres.data() + i * kDim);
  });
  // sigma 0.82: |noise| ~ 0.82, so same-identity cosine ~ 1 / (1 + 0.82^2) ~ 0.6.
  const float sigma = 0.82f / std::sqrt(float(kDim));
  auto sample = [&](float* out, std::size_t identity, std::uint64_t s) {
    if (!face_like) {
      gaussian_row(out, s, 1.f);
    } else {
      gaussian_row(out, s, sigma);
      for (int j = 0; j < kDim; ++j) out[j] += centres[identity * kDim + j];
    }
    normalize(out);
  };
  d.data.resize(n * kDim);
  parallel_rows(
      n, [&](std::size_t i) { sample(d.data.data() + i * kDim, i / 20 % identities, seed * 7919 + i); });
  d.queries.resize(kQueries * kDim);
  parallel_rows(kQueries, [&](std::size_t i) {
    sample(d.queries.data() + i * kDim, (i * 2654435761u) % identities, seed * 104729 + n + i);
  });
  d.ids.resize(n);
  for (std::size_t i = 0; i < n; ++i) d.ids[i] = FaceId(i + 1);
  return d;
}

struct Built {
  std::unique_ptr<VectorIndex> index;
  double build_s = 0;
  std::map<std::size_t, double>
      recall;  // by ef_search; measured once (a benchmark function runs several times)
};

// One size at a time in memory (1M x 512 is 2 GB per copy): data, the three indexes, the exact top-10s.
struct Cache {
  std::size_t n = 0;
  bool face_like = true;
  std::unique_ptr<Dataset> data;
  std::map<std::string, Built> indexes;
  std::vector<std::vector<Neighbor>> truth;
} cache;

HnswParams hnsw_params(std::size_t n) {
  HnswParams p;
  if (n >= 1000000) p.ef_construction = env_size("FS_BENCH_EFC_1M", p.ef_construction);
  return p;
}

void prepare(std::size_t n, bool face_like) {
  if (cache.n == n && cache.face_like == face_like && cache.data) return;
  cache = {};
  cache.n = n;
  cache.face_like = face_like;
  auto t0 = std::chrono::steady_clock::now();
  cache.data = std::make_unique<Dataset>(make_dataset(n, face_like, face_like ? 1 : 2));
  std::fprintf(stderr, "[bench_vector] %zu %s vectors generated in %.1f s\n", n,
               face_like ? "face-like" : "uniform",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

Built& index_for(const std::string& kind) {
  auto it = cache.indexes.find(kind);
  if (it != cache.indexes.end()) return it->second;
  const Dataset& d = *cache.data;
  Built b;
  const HnswParams params = hnsw_params(d.n);
  std::filesystem::path cached;
  if (const char* dir = std::getenv("FS_BENCH_CACHE"); dir && kind == "hnsw") {
    cached = std::filesystem::path(dir) /
             ((d.face_like ? "faces-" : "uniform-") + std::to_string(d.n) + "-M" + std::to_string(params.M) +
              "-efc" + std::to_string(params.ef_construction) + ".hnsw");
    if ((b.index = load_hnsw_index(cached, kDim, params))) {
      std::ifstream(cached.string() + ".build_s") >> b.build_s;
      std::fprintf(stderr, "[bench_vector] %s loaded (built earlier in %.1f s)\n", cached.c_str(), b.build_s);
      return cache.indexes.emplace(kind, std::move(b)).first->second;
    }
  }
  if (kind == "exact-f32") {
    b.index = make_exact_index(kDim, VectorPrecision::F32);
  } else if (kind == "exact-f16") {
    b.index = make_exact_index(kDim, VectorPrecision::F16);
  } else {
    b.index = make_hnsw_index(kDim, params);
  }
  const auto t0 = std::chrono::steady_clock::now();
  b.index->add_batch(d.ids, d.data, cores());
  b.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "[bench_vector] %s over %zu vectors built in %.1f s\n", kind.c_str(), d.n, b.build_s);
  if (!cached.empty()) {
    std::filesystem::create_directories(cached.parent_path());
    save_hnsw_index(*b.index, cached);
    std::ofstream(cached.string() + ".build_s") << b.build_s << "\n";
  }
  return cache.indexes.emplace(kind, std::move(b)).first->second;
}

// Exact top-10 of every query, computed on all cores.
const std::vector<std::vector<Neighbor>>& truth() {
  if (!cache.truth.empty()) return cache.truth;
  const VectorIndex& exact = *index_for("exact-f32").index;
  const auto& q = cache.data->queries;
  cache.truth.resize(kQueries);
  parallel_rows(kQueries, [&](std::size_t i) {
    cache.truth[i] = exact.search(std::span<const float>(q).subspan(i * kDim, kDim), kK);
  });
  return cache.truth;
}

double recall(const VectorIndex& index) {
  const auto& t = truth();
  const auto& q = cache.data->queries;
  std::size_t hits = 0, total = 0;
  for (std::size_t i = 0; i < kQueries; ++i) {
    std::set<FaceId> found;
    for (const auto& r : index.search(std::span<const float>(q).subspan(i * kDim, kDim), kK))
      found.insert(r.id);
    for (const auto& r : t[i]) hits += found.count(r.id);
    total += t[i].size();
  }
  return double(hits) / double(total);
}

// ef: the HNSW beam width (0: the default, max(4k, 128)); ignored by the exact indexes.
void bm_search(benchmark::State& state, std::size_t n, bool face_like, std::string kind, std::size_t ef) {
  prepare(n, face_like);
  Built& built = index_for(kind);
  if (kind == "hnsw") set_hnsw_ef_search(*built.index, ef);
  if (!built.recall.count(ef)) built.recall[ef] = kind == "exact-f32" ? 1.0 : recall(*built.index);
  const auto& q = cache.data->queries;
  std::size_t i = 0;
  for (auto _ : state) {
    auto result = built.index->search(std::span<const float>(q).subspan(i * kDim, kDim), kK);
    benchmark::DoNotOptimize(result.data());
    i = (i + 1) % kQueries;
  }
  state.counters["recall@10"] = built.recall[ef];
  state.counters["ef"] = double(kind == "hnsw" ? (ef ? ef : std::max<std::size_t>(4 * kK, 128)) : 0);
  state.counters["build_s"] = built.build_s;
  state.counters["bytes/vector"] = double(built.index->memory_bytes()) / double(n);
  state.counters["n"] = double(n);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto add = [](const std::string& name, std::size_t n, bool face_like, const char* kind, std::size_t ef) {
    benchmark::RegisterBenchmark(name.c_str(), bm_search, n, face_like, std::string(kind), ef)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  };
  for (const std::size_t n : sizes()) {
    for (const char* kind : {"exact-f32", "exact-f16", "hnsw"}) {
      add("search/" + std::string(kind) + "/" + std::to_string(n), n, true, kind, 0);
    }
    // The recall / latency trade-off of the same graph.
    for (const std::size_t ef : {64, 256, 512}) {
      add("search/hnsw-ef" + std::to_string(ef) + "/" + std::to_string(n), n, true, "hnsw", ef);
    }
  }
  if (std::getenv("FS_BENCH_UNIFORM")) {
    for (const std::size_t n : sizes()) {
      if (n <= 100000) add("search-uniform/hnsw/" + std::to_string(n), n, false, "hnsw", 0);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
