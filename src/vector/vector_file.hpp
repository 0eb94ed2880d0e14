// Vectors in a memory-mapped fp16 file, searched exactly straight over the mapping: a new process pays no load
// (the pages come from the OS page cache), which is what makes a cold `search` as fast as a warm server.
//
// Layout (little-endian): a 64-byte header, then `count` rows of `dim` IEEE halves, then `count` int64 ids (8-byte
// aligned).
//   0 magic "FSVECF16"   8 version (u32)   12 dim (u32)   16 count (u64)   24 stamp: 4 x i64 (the writer's own
//   staleness data, e.g. the catalog generation it reflects)   56 checksum of bytes 0..55 (u64)
// Writers write a temporary file beside it, sync it and rename it over `file`, so readers never see half a file; a reader checks
// the magic, version, header checksum, dimension and the file size before using it.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "vector/vector_index.hpp"

namespace facesearch {

using VectorFileStamp = std::array<std::int64_t, 4>;

class VectorFileWriter {
 public:
  // Starts a temporary file beside `file`; nothing is visible at `file` until commit().
  VectorFileWriter(const std::filesystem::path& file, int dim);
  ~VectorFileWriter();  // removes the temporary file unless committed
  VectorFileWriter(const VectorFileWriter&) = delete;
  VectorFileWriter& operator=(const VectorFileWriter&) = delete;

  // One row: dim halves, as 2 * dim little-endian bytes (the catalogs' embedding blobs).
  void add(FaceId id, std::span<const std::uint8_t> halves);
  // Writes the ids and the header, syncs, renames over `file`.
  void commit(const VectorFileStamp& stamp);

 private:
  std::filesystem::path file_, tmp_;
  int dim_;
  std::FILE* out_ = nullptr;
  std::vector<FaceId> ids_;
  bool committed_ = false;
};

// A read-only exact index over the mapped file (add and remove throw std::logic_error); nullptr when the file is
// missing, damaged, for another dimension, or stamped otherwise than `expected`.
std::unique_ptr<VectorIndex> map_vector_file(const std::filesystem::path& file, int dim,
                                             const VectorFileStamp& expected);

}  // namespace facesearch
