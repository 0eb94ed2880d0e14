// The searcher of libraries kept in a local directory: exact SIMD search up to Library::kExactLimit faces, an HNSW
// graph above, both over the catalog's embeddings file (VectorSource) and kept in a VectorCache between searches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "library/searcher.hpp"
#include "vector/vector_file.hpp"

namespace facesearch {

// Where the catalog's faces stand: every face added or removed bumps `generation`; removals are logged in order
// (`log_seq` is the last entry) and face ids only grow (`max_face_id`), so an index can catch up incrementally.
struct VectorPosition {
  std::int64_t generation = 0, log_seq = 0, max_face_id = 0;
};

// The catalog's embeddings file as one snapshot sees it.
struct StoredRowsView {
  std::shared_ptr<const StoredRows> rows;  // the committed rows; nullptr when there are none
  std::int64_t file = 0;                   // which file: a new number whenever the file starts afresh
  std::int64_t log_seq = 0;  // faces removed up to this log entry have no row in it; later removals are dead rows
};

// What a local searcher needs from its catalog.
class VectorSource {
 public:
  virtual ~VectorSource() = default;
  // Runs `read` in one read snapshot of the catalog (position, removals and vectors agree).
  virtual void read_snapshot(const std::function<void()>& read) = 0;
  virtual std::string pack() = 0;
  virtual int dim() = 0;
  virtual std::int64_t generation() = 0;
  virtual VectorPosition position() = 0;
  virtual size_t face_count() = 0;
  // The embeddings file; `populate` when every row will be read.
  virtual StoredRowsView stored_rows(bool populate) = 0;
  // Faces removed after log entry `seq`.
  virtual void removed_after(std::int64_t seq, const std::function<void(FaceId)>& visit) = 0;
  // The found faces with their photos (faces removed meanwhile are left out), in the order of `scan`.
  virtual std::vector<Match> matches(const std::vector<Neighbor>& found) = 0;
};

// `dir` holds the graph's files (graph.hnsw and its sidecar) beside the catalog.
std::unique_ptr<Searcher> make_local_searcher(VectorSource& source, const std::filesystem::path& dir,
                                              std::shared_ptr<VectorCache> vectors);

}  // namespace facesearch
