// The embeddings file (the embedded library's one copy of its vectors): the mapped rows are searched exactly like an
// in-memory index, dead rows left out; rows past the committed count are never seen; a missing or damaged file, another
// dimension or too few rows is refused; an HNSW graph over the rows finds what the exact search finds, costs a
// fraction of the bytes, and refuses to load over rows it was not built on.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "vector/kernels.hpp"
#include "vector/hnsw_file.hpp"
#include "vector/vector_file.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
namespace vd = facesearch::vector_detail;

namespace {

constexpr int kDim = 64;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("fs-vector-file-" + std::to_string(getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::uint8_t> halves_of(const std::vector<float>& v) {
  std::vector<std::uint8_t> out(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    const std::uint16_t h = vd::float_to_half(v[i]);
    std::memcpy(&out[2 * i], &h, 2);
  }
  return out;
}

struct Rows {
  std::vector<FaceId> ids;
  std::vector<std::vector<float>> vectors;
};

Rows random_rows(size_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  Rows rows;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v(kDim);
    for (auto& x : v) x = normal(rng);
    vd::l2_normalize(v);
    rows.ids.push_back(static_cast<FaceId>(10 + 3 * i));
    rows.vectors.push_back(std::move(v));
  }
  return rows;
}

// Writes `rows` as rows 0..n-1 of `file`.
void write(const fs::path& file, const Rows& rows) {
  StoredRowsWriter out(file, kDim);
  for (size_t i = 0; i < rows.ids.size(); ++i) out.write(i, rows.ids[i], halves_of(rows.vectors[i]));
  out.sync();
}

}  // namespace

TEST(VectorFile, MappedSearchEqualsInMemoryF16IndexWithoutDeadRows) {
  const fs::path file = scratch("equal") / "embeddings-1.f16";
  const Rows rows = random_rows(1001);  // not a multiple of the scan block
  write(file, rows);
  auto mapped_rows = StoredRows::map(file, kDim, rows.ids.size(), true);
  ASSERT_TRUE(mapped_rows);
  EXPECT_EQ(mapped_rows->count(), rows.ids.size());
  EXPECT_EQ(mapped_rows->find(rows.ids[500]), std::optional<std::size_t>(500));
  EXPECT_EQ(mapped_rows->find(rows.ids[500] + 1), std::nullopt);  // ids go up by 3
  EXPECT_EQ(mapped_rows->find(rows.ids.back()), std::optional<std::size_t>(1000));

  const std::vector<FaceId> dead = {rows.ids[500], rows.ids[7], 999999};  // an unknown id changes nothing
  auto mapped = make_stored_exact_index(mapped_rows, dead);
  EXPECT_EQ(mapped->size(), rows.ids.size() - 2);
  auto memory = make_exact_index(kDim, VectorPrecision::F16);
  for (size_t i = 0; i < rows.ids.size(); ++i)
    if (i != 500 && i != 7) memory->add(rows.ids[i], rows.vectors[i]);
  for (size_t q : {0u, 500u, 1000u}) {
    const auto want = memory->search(rows.vectors[q], 10, -1.f);
    const auto got = mapped->search(rows.vectors[q], 10, -1.f);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, want[i].id);
      EXPECT_FLOAT_EQ(got[i].similarity, want[i].similarity);
    }
    if (q != 500) {
      EXPECT_EQ(got[0].id, rows.ids[q]);
    }
    for (const auto& n : got) EXPECT_NE(n.id, rows.ids[500]);
    // A threshold keeps only the faces over it.
    for (const auto& n : mapped->search(rows.vectors[q], 1000, 0.3f)) EXPECT_GE(n.similarity, 0.3f);
  }
  EXPECT_EQ(mapped->search(rows.vectors[0], 5000, -1.f).size(), rows.ids.size() - 2);
  EXPECT_THROW(mapped->add(1, rows.vectors[0]), std::logic_error);
  EXPECT_THROW(mapped->search(std::vector<float>(kDim + 1), 1), std::invalid_argument);
}

TEST(VectorFile, RowsPastTheCommittedCountAreNeverSeenAndGetOverwritten) {
  const fs::path file = scratch("uncommitted") / "embeddings-1.f16";
  const Rows rows = random_rows(20);
  write(file, rows);
  // 12 rows committed; the other 8 are what a killed writer left behind.
  auto first = StoredRows::map(file, kDim, 12, false);
  ASSERT_TRUE(first);
  auto index = make_stored_exact_index(first, {});
  EXPECT_EQ(index->size(), 12u);
  for (const auto& n : index->search(rows.vectors[15], 100, -1.f)) EXPECT_LT(n.id, rows.ids[12]);
  // The next writer starts at row 12, over the leftovers; the mapping of the first 12 rows is unchanged.
  {
    StoredRowsWriter out(file, kDim);
    out.write(12, 5000, halves_of(rows.vectors[0]));
    out.sync();
  }
  auto now = StoredRows::map(file, kDim, 13, false);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->id(12), 5000);
  EXPECT_EQ(first->id(11), rows.ids[11]);
  EXPECT_EQ(std::memcmp(now->halves(12), now->halves(0), kDim * 2), 0);
}

TEST(VectorFile, MissingDamagedForeignOrShortFilesAreRefused) {
  const fs::path dir = scratch("refused");
  const fs::path file = dir / "embeddings-1.f16";
  write(file, random_rows(50));
  EXPECT_FALSE(StoredRows::map(dir / "missing.f16", kDim, 0, false));
  EXPECT_FALSE(StoredRows::map(file, kDim * 2, 10, false));
  EXPECT_FALSE(StoredRows::map(file, kDim, 51, false));  // the catalog counts more rows than the file holds
  ASSERT_TRUE(StoredRows::map(file, kDim, 50, false));
  EXPECT_THROW(StoredRowsWriter(file, kDim * 2), std::runtime_error);

  const fs::path damaged = dir / "damaged.f16";
  fs::copy_file(file, damaged);
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(13);
    f.put('\x7f');  // the dimension, under the header checksum
  }
  EXPECT_FALSE(StoredRows::map(damaged, kDim, 1, false));
  EXPECT_THROW(StoredRowsWriter(damaged, kDim), std::runtime_error);
  // A row of the wrong size is refused before anything is written.
  StoredRowsWriter out(file, kDim);
  EXPECT_THROW(out.write(50, 9999, std::vector<std::uint8_t>(3, 0)), std::invalid_argument);
}

TEST(VectorFile, HnswOverStoredRowsFindsWhatExactFindsInAFractionOfTheBytes) {
  const fs::path dir = scratch("hnsw");
  const fs::path file = dir / "embeddings-1.f16";
  const Rows rows = random_rows(3000);
  write(file, rows);
  auto first = StoredRows::map(file, kDim, 2000, false);
  auto all = StoredRows::map(file, kDim, 3000, false);
  ASSERT_TRUE(first && all);
  auto graph = make_stored_hnsw_index(first);
  add_stored_rows(*graph, first, 0, 2);
  add_stored_rows(*graph, all, 2000, 2);  // the file grew: the rest goes in
  graph->remove(rows.ids[10]);
  EXPECT_EQ(graph->size(), 2999u);
  EXPECT_THROW(graph->add(1, rows.vectors[0]), std::logic_error);
  EXPECT_THROW(graph->add_batch(std::vector<FaceId>{1}, rows.vectors[0]), std::logic_error);

  const std::vector<FaceId> dead = {rows.ids[10]};
  auto exact = make_stored_exact_index(all, dead);
  size_t same_first = 0;
  for (size_t q = 0; q < rows.ids.size(); q += 7) {
    const auto want = exact->search(rows.vectors[q], 1);
    const auto got = graph->search(rows.vectors[q], 1);
    ASSERT_EQ(got.size(), 1u);
    if (got[0].id == want[0].id) {
      ++same_first;
      EXPECT_EQ(got[0].similarity, want[0].similarity);  // the same kernel over the same halves
    }
    EXPECT_NE(got[0].id, rows.ids[10]);
  }
  EXPECT_GE(same_first, 428u * 99 / 100);  // 429 queries, each its own nearest neighbour

  const fs::path saved = dir / "graph.hnsw";
  save_hnsw_index(*graph, saved);
  // Per face: the graph's links and a row number, not a copy of the vector (a 64-d fp32 copy alone is 256 bytes;
  // at 512-d it is 2 KiB).
  EXPECT_LT(fs::file_size(saved), 3000u * 160 + 4096);
  auto loaded = load_stored_hnsw_index(saved, all);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->size(), 2999u);
  for (size_t q : {0u, 1234u, 2999u}) {
    const auto a = graph->search(rows.vectors[q], 5), b = loaded->search(rows.vectors[q], 5);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
  }
  // Not over rows it was not built on: too few rows, or rows holding other faces.
  EXPECT_FALSE(load_stored_hnsw_index(saved, first));
  Rows shifted = rows;
  for (auto& id : shifted.ids) id += 1;
  write(dir / "other.f16", shifted);
  EXPECT_FALSE(load_stored_hnsw_index(saved, StoredRows::map(dir / "other.f16", kDim, 3000, false)));
  // Nor as an index that holds its own vectors, nor the other way round.
  EXPECT_FALSE(load_hnsw_index(saved, kDim));
  auto plain = make_hnsw_index(kDim);
  plain->add(1, rows.vectors[0]);
  save_hnsw_index(*plain, dir / "plain.hnsw");
  EXPECT_FALSE(load_stored_hnsw_index(dir / "plain.hnsw", all));
}
