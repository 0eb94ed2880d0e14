// Nearest-neighbour search over face embeddings (inner product of L2-normalised vectors = cosine similarity).
// One interface, several implementations, in the way FAISS separates its Index classes.
//
// Thread-safety: every method may be called from several threads at once. Searches (and save_hnsw_index)
// share a reader lock and run concurrently; add, add_batch and remove take it exclusively.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace facesearch {

using FaceId = std::int64_t;

struct Neighbor {
  FaceId id = 0;
  float similarity = 0;
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;
  virtual int dim() const = 0;
  virtual std::size_t size() const = 0;
  // Adds or replaces the vector of `id` (vectors are expected L2-normalised).
  virtual void add(FaceId id, std::span<const float> vector) = 0;
  // Removing an unknown id does nothing.
  virtual void remove(FaceId id) = 0;
  // add() for many vectors (row i of `vectors` belongs to ids[i]; a repeated id keeps its last row).
  // `threads` > 1 lets an implementation build in parallel (the HNSW index does; the result then depends on
  // thread timing).
  virtual void add_batch(std::span<const FaceId> ids, std::span<const float> vectors, unsigned threads = 1);
  // Up to k best neighbours with similarity >= min_similarity, best first (ties: smaller id first).
  // Wrong-sized vectors or queries throw std::invalid_argument.
  virtual std::vector<Neighbor> search(std::span<const float> query, std::size_t k,
                                       float min_similarity = -2.f) const = 0;
  virtual std::string name() const = 0;
  // Bytes of memory held for the vectors and the structure (approximate).
  virtual std::size_t memory_bytes() const = 0;
};

enum class VectorPrecision { F32, F16 };

// Brute force with SIMD dot products: exact, and the right choice up to ~100k faces.
std::unique_ptr<VectorIndex> make_exact_index(int dim, VectorPrecision precision = VectorPrecision::F32);

struct HnswParams {
  std::size_t M = 16;
  std::size_t ef_construction = 200;
  // Search beam width. 0: chosen per query from k (max(k * 4, 256)). Either way it is at least k, and it is
  // passed per query rather than through hnswlib's setEf, so concurrent searches with different k never
  // interfere.
  std::size_t ef_search = 0;
  std::size_t initial_capacity = 1024;
};

// hnswlib graph: approximate, sub-linear. Grows as needed (capacity doubles). Removal only marks the node
// deleted (hnswlib 0.6 cannot reuse the slot): re-adding that id revives and moves it, other ids take new
// slots, so after many removals callers should rebuild the index from the catalog.
std::unique_ptr<VectorIndex> make_hnsw_index(int dim, const HnswParams& params = {});

// Changes HnswParams::ef_search of an HNSW index (0: back to max(k * 4, 256)), effective for searches that start
// afterwards; safe while other threads search. Throws std::invalid_argument for another kind of index.
void set_hnsw_ef_search(VectorIndex& index, std::size_t ef_search);

// Persist / load an HNSW index (the file holds the graph and the id mapping). load returns nullptr when the
// file is missing, unreadable or for another dimension: callers rebuild it from the catalog then.
//
// The file is our header (magic, version, dimension, counts, checksums) followed by hnswlib's own saveIndex
// layout. save writes `file` + ".tmp", syncs it, then renames it over `file`: readers never see half a file.
// It throws std::invalid_argument for an index that is not an HNSW index, std::system_error on I/O errors.
// load never throws for a bad file: it checks both checksums and the graph's structure before using it.
void save_hnsw_index(const VectorIndex& index, const std::filesystem::path& file);
std::unique_ptr<VectorIndex> load_hnsw_index(const std::filesystem::path& file, int dim,
                                             const HnswParams& params = {});

}  // namespace facesearch
