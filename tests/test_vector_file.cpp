// The memory-mapped fp16 vector file: what is written is searched exactly like an in-memory index; a stale stamp,
// another dimension, a damaged header or a truncated file is refused (nullptr), and a failed write leaves no file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "vector/kernels.hpp"
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

void write(const fs::path& file, const Rows& rows, const VectorFileStamp& stamp) {
  VectorFileWriter out(file, kDim);
  for (size_t i = 0; i < rows.ids.size(); ++i) out.add(rows.ids[i], halves_of(rows.vectors[i]));
  out.commit(stamp);
}

}  // namespace

TEST(VectorFile, MappedSearchEqualsInMemoryF16Index) {
  const fs::path file = scratch("equal") / "vectors.f16";
  const Rows rows = random_rows(1001);  // not a multiple of the scan block
  const VectorFileStamp stamp = {42, 7, 0, 0};
  write(file, rows, stamp);
  auto mapped = map_vector_file(file, kDim, stamp);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->size(), rows.ids.size());
  auto memory = make_exact_index(kDim, VectorPrecision::F16);
  for (size_t i = 0; i < rows.ids.size(); ++i) memory->add(rows.ids[i], rows.vectors[i]);
  for (size_t q : {0u, 500u, 1000u}) {
    const auto want = memory->search(rows.vectors[q], 10, -1.f);
    const auto got = mapped->search(rows.vectors[q], 10, -1.f);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, want[i].id);
      EXPECT_FLOAT_EQ(got[i].similarity, want[i].similarity);
    }
    EXPECT_EQ(got[0].id, rows.ids[q]);
    // A threshold keeps only the faces over it.
    for (const auto& n : mapped->search(rows.vectors[q], 1000, 0.3f)) EXPECT_GE(n.similarity, 0.3f);
  }
  EXPECT_THROW(mapped->add(1, rows.vectors[0]), std::logic_error);
  EXPECT_THROW(mapped->search(std::vector<float>(kDim + 1), 1), std::invalid_argument);
}

TEST(VectorFile, EmptyFileIsValid) {
  const fs::path file = scratch("empty") / "vectors.f16";
  write(file, Rows{}, {1, 2, 3, 4});
  auto mapped = map_vector_file(file, kDim, {1, 2, 3, 4});
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->search(std::vector<float>(kDim, 0.1f), 5).empty());
}

TEST(VectorFile, StaleDamagedOrForeignFilesAreRefused) {
  const fs::path dir = scratch("refused");
  const fs::path file = dir / "vectors.f16";
  const Rows rows = random_rows(50);
  write(file, rows, {5, 0, 0, 0});
  EXPECT_FALSE(map_vector_file(dir / "missing.f16", kDim, {5, 0, 0, 0}));
  EXPECT_FALSE(map_vector_file(file, kDim, {6, 0, 0, 0}));  // another catalog generation: stale
  EXPECT_FALSE(map_vector_file(file, kDim * 2, {5, 0, 0, 0}));
  ASSERT_TRUE(map_vector_file(file, kDim, {5, 0, 0, 0}));

  const fs::path damaged = dir / "damaged.f16";
  fs::copy_file(file, damaged);
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(17);
    f.put('\x7f');  // the count, under the header checksum
  }
  EXPECT_FALSE(map_vector_file(damaged, kDim, {5, 0, 0, 0}));

  const fs::path truncated = dir / "truncated.f16";
  fs::copy_file(file, truncated);
  fs::resize_file(truncated, fs::file_size(file) - 8);
  EXPECT_FALSE(map_vector_file(truncated, kDim, {5, 0, 0, 0}));
}

TEST(VectorFile, UncommittedWriteLeavesNothing) {
  const fs::path dir = scratch("uncommitted");
  {
    VectorFileWriter out(dir / "vectors.f16", kDim);
    out.add(1, std::vector<std::uint8_t>(kDim * 2, 0));
    EXPECT_THROW(out.add(2, std::vector<std::uint8_t>(3, 0)), std::invalid_argument);
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(VectorFile, AbandonedTemporaryFilesAreRemovedFreshOnesKept) {
  const fs::path dir = scratch("abandoned");
  const fs::path old_tmp = dir / "vectors.f16.tmp.12345.0", fresh_tmp = dir / "vectors.f16.tmp.12346.0";
  std::ofstream(old_tmp) << "x";
  std::ofstream(fresh_tmp) << "x";
  fs::last_write_time(old_tmp, fs::file_time_type::clock::now() - std::chrono::hours(2));
  write(dir / "vectors.f16", random_rows(3), {1, 0, 0, 0});
  EXPECT_FALSE(fs::exists(old_tmp));
  EXPECT_TRUE(fs::exists(fresh_tmp));  // maybe another process writing right now
  EXPECT_TRUE(map_vector_file(dir / "vectors.f16", kDim, {1, 0, 0, 0}));
}
