// Vector indexes: exact search against a naive loop, f16 vs f32, removal, HNSW recall on 100k face-like
// vectors, persistence and corrupt files.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>
#include <vector>

// For the compatibility check: our payload must load in hnswlib itself. (fs_vector renames hnswlib's global
// helper functions, so including it here too links fine.)
#include <hnswlib/hnswlib.h>

#include "test_support.hpp"
#include "vector/hnsw_file.hpp"
#include "vector/kernels.hpp"
#include "vector/vector_index.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
namespace vd = facesearch::vector_detail;

namespace {

constexpr int kDim = 512;

void normalize(float* v, int dim) {
  double norm = 0;
  for (int i = 0; i < dim; ++i) norm += double(v[i]) * v[i];
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (int i = 0; i < dim; ++i) v[i] *= scale;
}

std::vector<float> random_unit_vectors(std::size_t n, int dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> data(n * dim);
  for (auto& x : data) x = normal(rng);
  for (std::size_t i = 0; i < n; ++i) normalize(data.data() + i * dim, dim);
  return data;
}

// Face-like embeddings: random identity centres on the unit sphere; a sample is normalize(centre + noise)
// with per-coordinate noise N(0, sigma^2 / dim), so |noise| ~ sigma and two samples of one identity have
// cosine ~ 1 / (1 + sigma^2). sigma = 0.82 gives ~0.6, in the 0.5-0.7 range real face models show for the
// same person, while different identities stay near 0 (+-1/sqrt(dim)).
struct FaceLikeData {
  int dim;
  float sigma;
  std::vector<float> centres;
  std::mt19937_64 rng;

  FaceLikeData(std::size_t identities, int dim_, float sigma_, std::uint64_t seed)
      : dim(dim_), sigma(sigma_), centres(random_unit_vectors(identities, dim_, seed)), rng(seed + 1) {}

  std::size_t identities() const { return centres.size() / dim; }

  void sample(std::size_t identity, float* out) {
    std::normal_distribution<float> noise(0.f, sigma / std::sqrt(float(dim)));
    for (int i = 0; i < dim; ++i) out[i] = centres[identity * dim + i] + noise(rng);
    normalize(out, dim);
  }

  // `per_identity` samples of each identity, identity-major.
  std::vector<float> samples(std::size_t per_identity) {
    std::vector<float> data(identities() * per_identity * dim);
    for (std::size_t i = 0; i < identities() * per_identity; ++i)
      sample(i / per_identity, data.data() + i * dim);
    return data;
  }

  std::vector<float> queries(std::size_t n) {
    std::uniform_int_distribution<std::size_t> pick(0, identities() - 1);
    std::vector<float> data(n * dim);
    for (std::size_t i = 0; i < n; ++i) sample(pick(rng), data.data() + i * dim);
    return data;
  }
};

std::span<const float> row(const std::vector<float>& data, std::size_t i, int dim = kDim) {
  return std::span<const float>(data).subspan(i * dim, dim);
}

std::vector<FaceId> iota_ids(std::size_t n, FaceId first = 0) {
  std::vector<FaceId> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = first + FaceId(i);
  return ids;
}

// The reference: every similarity in double precision, sorted by (similarity desc, id asc).
std::vector<Neighbor> naive_search(const std::vector<float>& data, const std::vector<FaceId>& ids,
                                   std::span<const float> query, std::size_t k, float min_similarity) {
  std::vector<Neighbor> all;
  const auto dim = query.size();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) s += double(data[i * dim + j]) * query[j];
    if (s >= min_similarity) all.push_back({ids[i], float(s)});
  }
  std::sort(all.begin(), all.end(), [](const Neighbor& a, const Neighbor& b) {
    return a.similarity > b.similarity || (a.similarity == b.similarity && a.id < b.id);
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// Same neighbours in the same order; where float rounding could swap near-ties, equal similarities suffice.
void expect_same_results(const std::vector<Neighbor>& got, const std::vector<Neighbor>& want,
                         float tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].similarity, want[i].similarity, tolerance) << "rank " << i;
    if (got[i].id != want[i].id) {
      EXPECT_NEAR(got[i].similarity, want[i].similarity, tolerance)
          << "rank " << i << " differs beyond a near-tie";
    }
  }
  std::set<FaceId> got_ids, want_ids;
  for (const auto& n : got) got_ids.insert(n.id);
  for (const auto& n : want) want_ids.insert(n.id);
  // Only the last ranks may differ, and only by near-ties.
  std::size_t differing = 0;
  for (auto id : got_ids) differing += want_ids.count(id) ? 0 : 1;
  EXPECT_LE(differing, 1u);
}

double recall_at(const VectorIndex& approximate, const VectorIndex& exact, const std::vector<float>& queries,
                 std::size_t k) {
  const std::size_t n = queries.size() / kDim;
  std::size_t hits = 0, total = 0;
  for (std::size_t q = 0; q < n; ++q) {
    const auto truth = exact.search(row(queries, q), k);
    const auto found = approximate.search(row(queries, q), k);
    std::set<FaceId> found_ids;
    for (const auto& r : found) found_ids.insert(r.id);
    for (const auto& r : truth) hits += found_ids.count(r.id);
    total += truth.size();
  }
  return total ? double(hits) / double(total) : 1.0;
}

std::vector<char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// Recomputes both checksums after a deliberate edit, so only the structural checks can catch it.
void reseal(std::vector<char>& bytes) {
  auto header = vd::decode_header(reinterpret_cast<const unsigned char*>(bytes.data()));
  ASSERT_TRUE(header.has_value());
  header->payload_checksum =
      vd::checksum(bytes.data() + vd::kHnswHeaderBytes, bytes.size() - vd::kHnswHeaderBytes);
  const auto encoded = vd::encode_header(*header);
  std::memcpy(bytes.data(), encoded.data(), encoded.size());
}

}  // namespace

// The kernels (dot products, the fp16 codec, the checksum) are tested in test_kernels.cpp (unit tier).

// ---------------------------------------------------------------------------------------------------- exact

TEST(VectorExact, MatchesNaiveLoop) {
  const std::size_t n = 5000;
  const auto data = random_unit_vectors(n, kDim, 10);
  // Ids deliberately not equal to slots.
  std::vector<FaceId> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = FaceId(i * 7 + 1000);
  auto index = make_exact_index(kDim);
  EXPECT_EQ(index->name(), "exact-f32");
  EXPECT_EQ(index->dim(), kDim);
  for (std::size_t i = 0; i < n; ++i) index->add(ids[i], row(data, i));
  ASSERT_EQ(index->size(), n);

  // Queries near stored vectors (a clear top-1) and random ones (all similarities small and close together).
  auto queries = random_unit_vectors(20, kDim, 11);
  for (std::size_t q = 0; q < 10; ++q) {
    for (int j = 0; j < kDim; ++j) queries[q * kDim + j] += data[(q * 311) * kDim + j];
    normalize(queries.data() + q * kDim, kDim);
  }
  for (std::size_t q = 0; q < 20; ++q) {
    for (std::size_t k : {std::size_t{1}, std::size_t{5}, std::size_t{10}, std::size_t{100}, n + 5}) {
      SCOPED_TRACE("query " + std::to_string(q) + " k " + std::to_string(k));
      expect_same_results(index->search(row(queries, q), k),
                          naive_search(data, ids, row(queries, q), k, -2.f), 1e-5f);
    }
    for (float threshold : {0.05f, 0.1f, 0.5f}) {
      const auto got = index->search(row(queries, q), 50, threshold);
      const auto want = naive_search(data, ids, row(queries, q), 50, threshold);
      for (const auto& r : got) EXPECT_GE(r.similarity, threshold);
      EXPECT_NEAR(double(got.size()), double(want.size()),
                  1.0);  // a similarity within rounding of the threshold
    }
  }
  EXPECT_TRUE(index->search(row(queries, 0), 0).empty());
  EXPECT_EQ(index->search(row(queries, 0), 5, 1.5f).size(), 0u);
  EXPECT_GE(index->memory_bytes(), n * kDim * sizeof(float));
}

TEST(VectorExact, TiesGoToTheSmallerId) {
  auto index = make_exact_index(4);
  const std::vector<float> a = {1, 0, 0, 0}, b = {0, 1, 0, 0};
  for (FaceId id : {50, 7, 30, 2, 99}) index->add(id, a);
  index->add(1, b);
  const auto top = index->search(a, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, 2);
  EXPECT_EQ(top[1].id, 7);
  EXPECT_EQ(top[2].id, 30);
  const auto all = index->search(a, 10);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.back().id, 1);
}

TEST(VectorExact, F16AgreesWithF32) {
  const std::size_t n = 20000;
  FaceLikeData faces(1000, kDim, 0.82f, 20);
  const auto data = faces.samples(20);
  const auto ids = iota_ids(n, 1);
  auto f32 = make_exact_index(kDim, VectorPrecision::F32);
  auto f16 = make_exact_index(kDim, VectorPrecision::F16);
  EXPECT_EQ(f16->name(), "exact-f16");
  f32->add_batch(ids, data);
  f16->add_batch(ids, data);
  EXPECT_LT(f16->memory_bytes(), f32->memory_bytes() * 6 / 10);  // half the vector bytes
  const auto queries = faces.queries(100);
  double worst = 0;
  for (std::size_t q = 0; q < 100; ++q) {
    const auto want = f32->search(row(queries, q), 10);
    const auto got = f16->search(row(queries, q), 10);
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got[0].id, want[0].id) << "query " << q;
    for (std::size_t i = 0; i < 10; ++i)
      worst = std::max(worst, double(std::abs(got[i].similarity - want[i].similarity)));
  }
  EXPECT_LT(worst, 1e-3);
}

TEST(VectorExact, RemoveAndReAdd) {
  for (auto precision : {VectorPrecision::F32, VectorPrecision::F16}) {
    const std::size_t n = 1000;
    const auto data = random_unit_vectors(n + 1, kDim, 30);
    auto index = make_exact_index(kDim, precision);
    for (std::size_t i = 0; i < n; ++i) index->add(FaceId(i), row(data, i));
    auto self = [&](FaceId id, std::span<const float> v) {
      const auto top = index->search(v, 1);
      return !top.empty() && top[0].id == id && top[0].similarity > 0.99f;
    };
    index->remove(10);      // the last row (999) moves into slot 10
    index->remove(10);      // twice: no-op
    index->remove(123456);  // unknown: no-op
    EXPECT_EQ(index->size(), n - 1);
    EXPECT_FALSE(self(10, row(data, 10)));
    EXPECT_TRUE(self(999, row(data, 999)));
    for (std::size_t i = 0; i < n; i += 37) {
      if (i != 10) {
        EXPECT_TRUE(self(FaceId(i), row(data, i))) << i;
      }
    }
    index->remove(999);  // now removing the moved row, which is not last any more
    EXPECT_FALSE(self(999, row(data, 999)));
    EXPECT_TRUE(self(998, row(data, 998)));
    index->add(10, row(data, 10));  // re-add
    EXPECT_TRUE(self(10, row(data, 10)));
    index->add(10, row(data, n));  // replace the vector of an existing id
    EXPECT_EQ(index->size(), n - 1);
    EXPECT_TRUE(self(10, row(data, n)));
    EXPECT_LT(index->search(row(data, 10), 1)[0].similarity, 0.99f);
    // add_batch: a repeated id keeps its last row.
    const std::vector<FaceId> batch_ids = {5000, 5001, 5000};
    const auto rows = random_unit_vectors(3, kDim, 31);
    index->add_batch(batch_ids, rows);
    EXPECT_EQ(index->size(), n + 1);
    EXPECT_TRUE(self(5000, row(rows, 2)));
    EXPECT_TRUE(self(5001, row(rows, 1)));
    EXPECT_FALSE(self(5000, row(rows, 0)));
  }
}

TEST(VectorExact, RejectsWrongDimensions) {
  auto index = make_exact_index(8);
  const std::vector<float> v(7, 0.f);
  EXPECT_THROW(index->add(1, v), std::invalid_argument);
  EXPECT_THROW((void)index->search(v, 3), std::invalid_argument);
  EXPECT_THROW(index->add_batch(std::vector<FaceId>{1, 2}, std::vector<float>(15)), std::invalid_argument);
  EXPECT_THROW(make_exact_index(0), std::invalid_argument);
  EXPECT_TRUE(index->search(std::vector<float>(8, 1.f), 5).empty());  // empty index
}

// ---------------------------------------------------------------------------------------------------- hnsw

TEST(VectorHnsw, SmallIndexFindsItselfAndGrows) {
  const std::size_t n = 3000;
  const auto data = random_unit_vectors(n, kDim, 40);
  HnswParams params;
  params.initial_capacity = 1;  // grows by doubling
  auto index = make_hnsw_index(kDim, params);
  EXPECT_EQ(index->name(), "hnsw");
  EXPECT_TRUE(index->search(row(data, 0), 5).empty());
  for (std::size_t i = 0; i < n; ++i) index->add(FaceId(i) - 1000, row(data, i));  // negative ids too
  EXPECT_EQ(index->size(), n);
  std::size_t found = 0;
  for (std::size_t i = 0; i < n; i += 7) {
    const auto top = index->search(row(data, i), 3);
    ASSERT_FALSE(top.empty());
    found += top[0].id == FaceId(i) - 1000;
    EXPECT_GE(top[0].similarity, top.back().similarity);
  }
  EXPECT_GE(double(found) / double((n + 6) / 7), 0.99);
  const auto top = index->search(row(data, 0), n + 10);  // k beyond the size
  EXPECT_LE(top.size(), n);
  EXPECT_GT(top.size(), n / 2);
  for (std::size_t i = 1; i < top.size(); ++i) EXPECT_GE(top[i - 1].similarity, top[i].similarity);
  for (const auto& r : index->search(row(data, 0), 100, 0.1f)) EXPECT_GE(r.similarity, 0.1f);
  EXPECT_GE(index->memory_bytes(), n * kDim * sizeof(float));
}

TEST(VectorHnsw, SimilaritiesMatchTheExactIndex) {
  FaceLikeData faces(200, kDim, 0.82f, 45);
  const auto data = faces.samples(10);
  const auto ids = iota_ids(2000);
  auto exact = make_exact_index(kDim);
  auto hnsw = make_hnsw_index(kDim);
  exact->add_batch(ids, data);
  hnsw->add_batch(ids, data);
  const auto queries = faces.queries(50);
  for (std::size_t q = 0; q < 50; ++q) {
    const auto want = exact->search(row(queries, q), 10);
    const auto got = hnsw->search(row(queries, q), 10);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, want[i].id);
      EXPECT_EQ(got[i].similarity, want[i].similarity);  // same kernel, bit for bit
    }
  }
}

TEST(VectorHnsw, RemoveAndReAdd) {
  const std::size_t n = 2000;
  const auto data = random_unit_vectors(n + 1, kDim, 50);
  auto index = make_hnsw_index(kDim);
  index->add_batch(iota_ids(n), std::span<const float>(data).first(n * kDim));
  auto top1 = [&](std::span<const float> v) { return index->search(v, 1).at(0); };
  ASSERT_EQ(top1(row(data, 10)).id, 10);
  index->remove(10);
  index->remove(10);
  index->remove(-5);
  EXPECT_EQ(index->size(), n - 1);
  EXPECT_NE(top1(row(data, 10)).id, 10);
  for (const auto& r : index->search(row(data, 10), 50)) EXPECT_NE(r.id, 10);
  index->add(10, row(data, 10));  // revive
  EXPECT_EQ(index->size(), n);
  EXPECT_EQ(top1(row(data, 10)).id, 10);
  index->add(10, row(data, n));  // move to a new vector
  EXPECT_EQ(index->size(), n);
  EXPECT_EQ(top1(row(data, n)).id, 10);
  EXPECT_GT(top1(row(data, n)).similarity, 0.999f);
  EXPECT_NE(top1(row(data, 10)).id, 10);
  // Remove many; searches skip them and still fill k.
  for (FaceId id = 0; id < FaceId(n); id += 2) index->remove(id);
  EXPECT_EQ(index->size(), n / 2);
  const auto top = index->search(row(data, 11), 20);
  EXPECT_EQ(top.size(), 20u);
  EXPECT_EQ(top[0].id, 11);
  for (const auto& r : top) EXPECT_EQ(r.id % 2, 1) << r.id;
  // Everything removed: nothing to find.
  for (FaceId id = 1; id < FaceId(n); id += 2) index->remove(id);
  EXPECT_EQ(index->size(), 0u);
  EXPECT_TRUE(index->search(row(data, 11), 5).empty());
}

TEST(VectorHnsw, ParallelBatchBuildAndConcurrentSearches) {
  FaceLikeData faces(500, kDim, 0.82f, 60);
  const auto data = faces.samples(10);
  const auto ids = iota_ids(5000);
  auto exact = make_exact_index(kDim);
  auto hnsw = make_hnsw_index(kDim);
  exact->add_batch(ids, data);
  hnsw->add_batch(ids, data, 4);
  EXPECT_EQ(hnsw->size(), 5000u);
  const auto queries = faces.queries(200);
  EXPECT_GE(recall_at(*hnsw, *exact, queries, 10), 0.98);

  for (VectorIndex* index : {exact.get(), hnsw.get()}) {
    SCOPED_TRACE(index->name());
    // Searches with different k from several threads while a writer adds and removes other vectors. The five
    // best (same-identity samples, far from anything the writer adds) must be the serial ones. Lower ranks of
    // the HNSW index may legitimately move: the writer's nodes stay in the graph as deleted ones.
    auto best5 = [&](std::size_t q) {
      auto r = index->search(row(queries, q), 5 + q % 30);
      std::vector<FaceId> ids5;
      for (std::size_t i = 0; i < std::min<std::size_t>(5, r.size()); ++i) ids5.push_back(r[i].id);
      return ids5;
    };
    std::vector<std::vector<FaceId>> serial(200);
    for (std::size_t q = 0; q < 200; ++q) serial[q] = best5(q);
    std::atomic<int> mismatches{0};
    {
      std::vector<std::jthread> threads;
      for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (std::size_t q = t; q < 200; q += 2) mismatches += best5(q) != serial[q];
        });
      }
      threads.emplace_back([&] {
        const auto others = random_unit_vectors(50, kDim, 61);
        for (std::size_t i = 0; i < 50; ++i) {
          index->add(FaceId(100000 + i), row(others, i));
          if (i % 2) index->remove(FaceId(100000 + i));
        }
      });
    }
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(index->size(), 5025u);
  }
}

// Persistence of a small index with deletions: identical results after load, and the payload is hnswlib's
// format.
TEST(VectorHnsw, SaveLoadRoundTripAndHnswlibCompatibility) {
  const auto dir = fstest::scratch_dir("vector_roundtrip");
  const std::size_t n = 3000;
  const auto data = random_unit_vectors(n, kDim, 70);
  auto index = make_hnsw_index(kDim);
  index->add_batch(iota_ids(n, 100), data);
  for (FaceId id = 100; id < 400; id += 3) index->remove(id);
  const auto file = dir / "faces.hnsw";
  save_hnsw_index(*index, file);
  EXPECT_FALSE(fs::exists(dir / "faces.hnsw.tmp"));
  auto loaded = load_hnsw_index(file, kDim);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->size(), index->size());
  EXPECT_EQ(loaded->name(), "hnsw");
  const auto queries = random_unit_vectors(100, kDim, 71);
  for (std::size_t q = 0; q < 100; ++q) {
    const auto a = index->search(row(queries, q), 10);
    const auto b = loaded->search(row(queries, q), 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id);
      EXPECT_EQ(a[i].similarity, b[i].similarity);
    }
  }
  // The loaded index keeps working: grows, deletes, revives, saves again.
  loaded->add(100, row(data, 0));
  loaded->add(99999, row(queries, 0));
  EXPECT_EQ(loaded->search(row(queries, 0), 1).at(0).id, 99999);
  save_hnsw_index(*loaded, file);  // replaces the file
  auto again = load_hnsw_index(file, kDim);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->size(), loaded->size());

  // Strip our header: hnswlib's own loader reads the rest.
  auto bytes = read_bytes(file);
  bytes.erase(bytes.begin(), bytes.begin() + vd::kHnswHeaderBytes);
  write_bytes(dir / "plain.hnswlib", bytes);
  hnswlib::InnerProductSpace space(kDim);
  hnswlib::HierarchicalNSW<float> plain(&space, (dir / "plain.hnswlib").string());
  plain.setEf(200);
  for (std::size_t q = 0; q < 20; ++q) {
    auto result = plain.searchKnn(row(queries, q).data(), 1);
    ASSERT_EQ(result.size(), 1u);
    EXPECT_EQ(FaceId(result.top().second), again->search(row(queries, q), 1).at(0).id);
  }
  // And a file hnswlib wrote itself is not ours: rejected, not misread.
  plain.saveIndex((dir / "native.hnswlib").string());
  EXPECT_EQ(load_hnsw_index(dir / "native.hnswlib", kDim), nullptr);

  EXPECT_THROW(save_hnsw_index(*make_exact_index(kDim), dir / "exact.hnsw"), std::invalid_argument);
  EXPECT_THROW(save_hnsw_index(*index, dir / "no-such-dir" / "x.hnsw"), std::system_error);
  // An empty index round-trips too.
  save_hnsw_index(*make_hnsw_index(8), dir / "empty.hnsw");
  auto empty = load_hnsw_index(dir / "empty.hnsw", 8);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->size(), 0u);
  empty->add(1, std::vector<float>(8, 0.35f));
  EXPECT_EQ(empty->search(std::vector<float>(8, 0.35f), 1).at(0).id, 1);
}

TEST(VectorHnsw, BadFilesLoadAsNullptr) {
  const auto dir = fstest::scratch_dir("vector_bad_files");
  constexpr int kSmallDim = 16;
  constexpr std::size_t kM = 16;
  const std::size_t n = 500;
  const auto data = random_unit_vectors(n, kSmallDim, 80);
  auto index = make_hnsw_index(kSmallDim);
  index->add_batch(iota_ids(n), data);
  const auto good = dir / "good.hnsw";
  save_hnsw_index(*index, good);
  const auto bytes = read_bytes(good);
  ASSERT_NE(load_hnsw_index(good, kSmallDim), nullptr);

  EXPECT_EQ(load_hnsw_index(dir / "missing.hnsw", kSmallDim), nullptr);
  EXPECT_EQ(load_hnsw_index(dir, kSmallDim), nullptr);       // a directory
  EXPECT_EQ(load_hnsw_index(good, kSmallDim + 1), nullptr);  // wrong dimension
  EXPECT_EQ(load_hnsw_index(good, 512), nullptr);
  EXPECT_EQ(load_hnsw_index(good, 0), nullptr);

  const auto bad = dir / "bad.hnsw";
  auto expect_rejected = [&](const std::vector<char>& content, const std::string& what) {
    write_bytes(bad, content);
    EXPECT_EQ(load_hnsw_index(bad, kSmallDim), nullptr) << what;
  };
  expect_rejected({}, "empty file");
  // Truncated anywhere: in the header, in hnswlib's header, in the vectors, in the links, one byte short.
  std::set<std::size_t> cuts = {1, 8, 55, 56, 57, 100, 151, 152, 153, bytes.size() - 4, bytes.size() - 1};
  for (std::size_t at = 0; at < bytes.size(); at += bytes.size() / 97) cuts.insert(at);
  for (std::size_t cut : cuts)
    expect_rejected({bytes.begin(), bytes.begin() + std::ptrdiff_t(cut)}, "cut at " + std::to_string(cut));
  // Trailing garbage.
  auto longer = bytes;
  longer.push_back(0);
  expect_rejected(longer, "one byte too many");
  // A flipped bit anywhere.
  std::mt19937 rng(81);
  std::set<std::size_t> flips;
  for (std::size_t i = 0; i < 300; ++i) flips.insert(i);
  for (int i = 0; i < 300; ++i) flips.insert(rng() % bytes.size());
  for (std::size_t at : flips) {
    auto flipped = bytes;
    flipped[at] = char(flipped[at] ^ (1 << (at % 8)));
    expect_rejected(flipped, "bit flipped at " + std::to_string(at));
  }
  // Garbage of the right size, and garbage behind a valid header.
  std::vector<char> garbage(bytes.size());
  for (auto& c : garbage) c = char(rng());
  expect_rejected(garbage, "random bytes");
  auto garbage_payload = garbage;
  std::copy_n(bytes.begin(), vd::kHnswHeaderBytes, garbage_payload.begin());
  expect_rejected(garbage_payload, "valid header, random payload");
  reseal(garbage_payload);
  expect_rejected(garbage_payload, "valid header and checksum, random payload");

  // Consistent checksums but a broken graph: only the structural checks stand between this and a crash.
  const std::size_t payload = vd::kHnswHeaderBytes + 96;  // our header, then hnswlib's 96-byte header
  const std::size_t per_element = (2 * kM * 4 + 4) + kSmallDim * 4 + 8;
  auto edit = [&](std::size_t offset, auto value, const std::string& what) {
    auto copy = bytes;
    std::memcpy(copy.data() + offset, &value, sizeof value);
    reseal(copy);
    expect_rejected(copy, what);
  };
  const std::size_t element7 = payload + 7 * per_element;
  edit(element7 + 4, std::uint32_t(n + 3), "neighbour id out of range");
  edit(element7 + 4, std::uint32_t(0xffffffffu), "neighbour id -1");
  edit(element7, std::uint16_t(2 * kM + 1), "too many layer-0 links");
  edit(element7 + 3, std::uint8_t(1), "unknown flag bits");
  edit(element7 + per_element - 8, std::uint64_t(8), "duplicate label");
  edit(vd::kHnswHeaderBytes + 2 * 8, std::uint64_t(n + 1), "element count");
  edit(vd::kHnswHeaderBytes + 6 * 8, std::int32_t(40), "max level");
  edit(vd::kHnswHeaderBytes + 6 * 8 + 4, std::uint32_t(n), "entry point out of range");
  edit(vd::kHnswHeaderBytes + 8 * 8 + 8, std::uint64_t(kM + 1), "M inconsistent with the layout");
  // And the edits above are the only problem: the same edit of a harmless byte (a vector value) loads.
  {
    auto copy = bytes;
    copy[element7 + (2 * kM * 4 + 4)] ^= 1;
    reseal(copy);
    write_bytes(bad, copy);
    EXPECT_NE(load_hnsw_index(bad, kSmallDim), nullptr);
  }
  // A header claiming another live count.
  {
    auto copy = bytes;
    auto header = vd::decode_header(reinterpret_cast<const unsigned char*>(copy.data()));
    header->live = n - 1;
    const auto encoded = vd::encode_header(*header);
    std::memcpy(copy.data(), encoded.data(), encoded.size());
    expect_rejected(copy, "live count");
  }
}

// ---------------------------------------------------------------------------------------------------- recall

// The bar: recall@10 >= 0.95 against exact search on >= 100k face-like vectors (5,000 identities x 20
// samples, same-identity cosine ~0.6), with the default parameters (M 16, ef_construction 200, ef max(4k,
// 128)). Also checks that a saved and reloaded copy answers identically.
TEST(VectorHnswRecall, AtLeast95PercentOn100kFaceLikeVectors) {
  FaceLikeData faces(5000, kDim, 0.82f, 90);
  const auto data = faces.samples(20);
  const std::size_t n = data.size() / kDim;
  ASSERT_GE(n, 100000u);
  {  // the generator gives what the comment promises
    double same = 0, other = 0;
    for (std::size_t i = 0; i < 100; ++i) {
      same += vd::dot_f32_baseline(data.data() + i * 20 * kDim, data.data() + (i * 20 + 1) * kDim, kDim);
      other += vd::dot_f32_baseline(data.data() + i * 20 * kDim, data.data() + (i * 20 + 20) * kDim, kDim);
    }
    EXPECT_NEAR(same / 100, 0.6, 0.1);
    EXPECT_NEAR(other / 100, 0.0, 0.02);
  }
  const auto ids = iota_ids(n, 1);
  auto exact = make_exact_index(kDim);
  exact->add_batch(ids, data);
  auto hnsw = make_hnsw_index(kDim);
  const auto start = std::chrono::steady_clock::now();
  hnsw->add_batch(ids, data, std::max(1u, std::thread::hardware_concurrency()));
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(hnsw->size(), n);

  const auto queries = faces.queries(300);
  const double recall = recall_at(*hnsw, *exact, queries, 10);
  std::printf("hnsw: %zu vectors built in %.1f s, recall@10 %.4f, %.0f bytes/vector\n", n, build_s, recall,
              double(hnsw->memory_bytes()) / double(n));
  EXPECT_GE(recall, 0.95);

  const auto file = fstest::scratch_dir("vector_recall") / "faces.hnsw";
  save_hnsw_index(*hnsw, file);
  const auto loaded = load_hnsw_index(file, kDim);
  ASSERT_NE(loaded, nullptr);
  for (std::size_t q = 0; q < 300; ++q) {
    const auto a = hnsw->search(row(queries, q), 10);
    const auto b = loaded->search(row(queries, q), 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i].id, b[i].id);
  }
  fs::remove(file);
}
