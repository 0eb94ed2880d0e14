// Finding the library faces nearest to a query, apart from the catalog that stores them: a local searcher (exact
// SIMD or an HNSW file, src/library/local/) for the embedded backend, pgvector for PostgreSQL.
#pragma once

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/batch.hpp"
#include "library/library.hpp"
#include "vector/vector_index.hpp"

namespace facesearch {

// The one exact-or-HNSW policy: exact up to Library::kExactLimit faces, HNSW above (unless the caller chose).
inline bool use_hnsw(VectorBackend backend, size_t faces) {
  return backend == VectorBackend::Hnsw || (backend == VectorBackend::Auto && faces > Library::kExactLimit);
}

// How many neighbours to ask for: the caller's top, else all (exact) or the best 1000 (HNSW).
inline size_t neighbours_wanted(const SearchOptions& options, bool hnsw, size_t faces) {
  return options.top ? options.top : (hnsw ? 1000 : std::max<size_t>(faces, 1));
}

class Searcher {
 public:
  virtual ~Searcher() = default;
  // Matches with similarity >= options.threshold, in the order of `scan` (sort_like_scan).
  virtual std::vector<Match> search(std::span<const float> query, const SearchOptions& options) = 0;
  // Called when `index` is done: bring an index up to date now rather than at the first search.
  virtual void after_index() {}
  // What `status` reports as the vector backend for a library of `faces` faces.
  virtual std::string describe(size_t faces) const = 0;
  // The local HNSW file brought up to date (nullptr where the index lives in a database server).
  virtual std::unique_ptr<VectorIndex> sync_hnsw() { return nullptr; }
};

}  // namespace facesearch
