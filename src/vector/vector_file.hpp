// The embedded library's one copy of its embeddings: a file of rows (face id, dim IEEE halves) in increasing id
// order, appended as faces are indexed and memory-mapped by every search, so a new process pays no load (the pages
// come from the OS page cache). The exact search scans the mapping and the HNSW graph keeps row numbers into it
// instead of its own copy of the vectors.
//
// The catalog says how many rows are committed. Rows are written and synced before the catalog transaction that
// counts them commits, so a crash (kill -9) leaves at most rows past the committed count, which nobody reads and the
// next writer overwrites. Committed rows never change, so readers need no lock; a face removed from the catalog
// keeps its row (a dead row) until the file is rewritten without it.
//
// Layout (little-endian): a 64-byte header, then rows of 8 + 2 * dim bytes.
//   header: 0 magic "FSEMBROW"   8 version (u32)   12 dim (u32)   16..55 zero   56 checksum of bytes 0..55 (u64)
//   row:    0 face id (i64)      8 dim halves
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "vector/vector_index.hpp"

namespace facesearch {

// A read-only mapping of the first count() rows of an embeddings file.
class StoredRows {
 public:
  // nullptr when the file is missing, has a damaged header or another dimension, or holds fewer than `count` rows.
  // `populate` maps every page up front (a full scan follows); otherwise pages come in as rows are read.
  static std::shared_ptr<const StoredRows> map(const std::filesystem::path& file, int dim, std::size_t count,
                                               bool populate);
  ~StoredRows();
  StoredRows(const StoredRows&) = delete;
  StoredRows& operator=(const StoredRows&) = delete;

  std::size_t count() const { return count_; }
  int dim() const { return dim_; }
  FaceId id(std::size_t row) const {
    FaceId id;
    __builtin_memcpy(&id, at(row), sizeof id);
    return id;
  }
  const std::uint16_t* halves(std::size_t row) const {
    return reinterpret_cast<const std::uint16_t*>(at(row) + sizeof(FaceId));
  }
  // The row of `id` (binary search: ids increase with the row number).
  std::optional<std::size_t> find(FaceId id) const;

  static std::size_t row_bytes(int dim) { return sizeof(FaceId) + 2 * static_cast<std::size_t>(dim); }

 private:
  StoredRows(void* base, std::size_t bytes, int dim, std::size_t count);
  const unsigned char* at(std::size_t row) const;

  void* base_;
  std::size_t bytes_;
  int dim_;
  std::size_t count_;
  std::size_t stride_;
};

// Writes rows into an embeddings file, creating it (a header only) when it is missing. Consecutive rows are
// gathered and written together; what sync() has not flushed yet may be lost, which is harmless: the catalog
// counts rows only after sync().
class StoredRowsWriter {
 public:
  // Throws std::system_error when the file cannot be opened, std::runtime_error for a file of another dimension or
  // a damaged header.
  StoredRowsWriter(const std::filesystem::path& file, int dim);
  ~StoredRowsWriter();
  StoredRowsWriter(const StoredRowsWriter&) = delete;
  StoredRowsWriter& operator=(const StoredRowsWriter&) = delete;

  // Writes row number `row` (2 * dim bytes of halves).
  void write(std::size_t row, FaceId id, std::span<const std::uint8_t> halves);
  // Makes every row written so far durable (fdatasync).
  void sync();

 private:
  void flush();

  std::filesystem::path file_;
  int dim_;
  int fd_ = -1;
  std::vector<unsigned char> pending_;  // rows from pending_first_ on, not written yet
  std::size_t pending_first_ = 0;
};

// Exact search straight over the mapped rows, leaving out the rows of `dead` ids (faces removed from the catalog).
// Read-only: add and remove throw std::logic_error.
std::unique_ptr<VectorIndex> make_stored_exact_index(std::shared_ptr<const StoredRows> rows,
                                                     std::span<const FaceId> dead);

// HNSW over stored rows: each node holds its row number instead of a copy of the vector (~150 bytes per face
// instead of ~2.2 KB). add and add_batch throw std::logic_error; add_stored_rows points the index at `rows` (the
// same file, mapped to more rows) and adds the rows from `first` on. save_hnsw_index writes it like any HNSW index;
// load_stored_hnsw_index returns nullptr (rebuild) unless every node names a row of `rows` holding its own id.
std::unique_ptr<VectorIndex> make_stored_hnsw_index(std::shared_ptr<const StoredRows> rows,
                                                    const HnswParams& params = {});
void add_stored_rows(VectorIndex& index, std::shared_ptr<const StoredRows> rows, std::size_t first,
                     unsigned threads = 1);
std::unique_ptr<VectorIndex> load_stored_hnsw_index(const std::filesystem::path& file,
                                                    std::shared_ptr<const StoredRows> rows,
                                                    const HnswParams& params = {});

}  // namespace facesearch
