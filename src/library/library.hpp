// The face library: a catalog (source of truth), a searcher and a people store, opened together from a library spec
// (a directory: SQLite with local vector files; a postgresql:// URL: PostgreSQL + pgvector) by the storage backend
// that claims it (backend.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/batch.hpp"
#include "vector/vector_index.hpp"

namespace facesearch {

class Storage;
class Backend;
namespace people {
class PeopleStore;
}

// The library holds embeddings of another model pack: mixing them would give meaningless similarities.
class ModelMismatchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class VectorBackend { Auto, Exact, Hnsw };

struct IndexOptions {
  int jobs = 2;
  bool reembed = false;  // forget everything and index again (e.g. with another model pack)
};

struct IndexReport {
  size_t files = 0;      // files found under the roots
  size_t unchanged = 0;  // same size and mtime as in the catalog
  size_t touched = 0;    // new mtime, same content
  size_t moved = 0;      // same content under a new path: faces kept, nothing re-embedded
  size_t copied = 0;     // same content as another indexed file: faces copied, nothing re-embedded
  size_t added = 0;      // new files analysed
  size_t changed = 0;    // changed content, analysed again
  size_t removed = 0;    // gone from disk, removed from the catalog
  size_t failed = 0;     // unusable files (recorded with their reason, retried when they change)
  size_t embedded_images = 0;  // images that went through the engine in this run
  size_t faces_added = 0;
  double seconds = 0;
  std::vector<SkippedFile> skipped;
};

struct LibraryStatus {
  std::filesystem::path dir;
  std::string pack;  // fingerprint, empty while the library is empty
  size_t images = 0, zero_face_images = 0, failed_images = 0, faces = 0;
  std::uintmax_t bytes_on_disk = 0;
  std::string vector_backend;  // what `search` would use
};

// One face of the library, with the photo it was found in.
struct LibraryFace {
  std::int64_t id = 0, image_id = 0;
  std::filesystem::path path;
  int width = 0, height = 0;  // of the upright photo (of a video's frame)
  Face face;                  // embedding filled only when asked for
  MediaKind kind = MediaKind::Photo;
};

// One photo of the library.
struct LibraryImage {
  std::int64_t id = 0;
  std::filesystem::path path;
  int width = 0, height = 0;
  std::string format, status, error;  // status: "ok" or "error" (unusable file, with its reason)
  std::int64_t size = -1, mtime_ns = 0;  // the file as it was indexed (size -1: unknown), to notice it changed
  std::vector<LibraryFace> faces;      // left to right, without embeddings
};

struct SearchOptions {
  float threshold = -1.f;  // every face by default: the application layer passes the pack's (app::resolve_threshold)
  size_t top = 0;  // 0: all over the threshold (exact) or the best 1000 (HNSW)
  VectorBackend backend = VectorBackend::Auto;
};

// Not thread-safe: one Library per thread (several may open the same directory, in one or many processes).
// Vector indexes loaded from an embedded catalog, kept while the catalog's generation (bumped by every face added
// or removed) stays the same, so a long-lived process (serve) pays for loading the vectors once, not per search.
// Thread-safe; one cache may be shared by several Library objects of the same library (a server's pool).
class VectorCache {
 public:
  std::shared_ptr<const VectorIndex> find(const std::string& kind, std::int64_t generation) const;
  void keep(const std::string& kind, std::int64_t generation, std::shared_ptr<const VectorIndex> index);

 private:
  struct Entry {
    std::int64_t generation = -1;
    std::shared_ptr<const VectorIndex> index;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

class Library {
 public:
  // Opens (and with `create`, makes) the library in `dir`, or in the PostgreSQL database of a postgresql:// URL
  // (a std::string converts implicitly). Throws std::runtime_error on failure.
  // `vectors` shares loaded vectors between Library objects of the same library; by default each has its own.
  explicit Library(const std::filesystem::path& dir, bool create = true,
                   std::shared_ptr<VectorCache> vectors = nullptr);
  ~Library();

  // $FACESEARCH_LIBRARY, else $XDG_DATA_HOME/facesearch/default, else ~/.local/share/facesearch/default.
  static std::filesystem::path default_dir();
  // Faces up to this count are searched exactly; above it with HNSW (unless overridden).
  static constexpr size_t kExactLimit = 100'000;

  // The directory, or the database URL without its password.
  const std::filesystem::path& dir() const { return dir_; }
  bool is_database() const;

  // Throws ModelMismatchError unless the library is empty or was built with this pack.
  void check_pack(const ModelPack& pack);

  IndexReport index(const std::vector<std::filesystem::path>& roots, const EngineConfig& config,
                    const IndexOptions& options, const BatchCallbacks& callbacks = {});

  std::vector<Match> search(std::span<const float> query, const SearchOptions& options);

  LibraryStatus status();

  // Lookups by id (ids come from search results; they never change while the face or image exists).
  std::optional<LibraryFace> face(std::int64_t id, bool with_embedding = false);
  std::optional<LibraryImage> image(std::int64_t id);
  // Every face with its embedding, in id order (clustering, exports). Stops early when `visit` returns false.
  void for_each_face(const std::function<bool(const LibraryFace&)>& visit);
  // Every image (with its faces, without embeddings), in path order. Stops early when `visit` returns false.
  void for_each_image(const std::function<bool(const LibraryImage&)>& visit);

  // Removes these files (or everything under these folders) and their faces. Returns the number of images removed.
  size_t forget(const std::vector<std::filesystem::path>& paths);

  // Embedded libraries: brings the on-disk HNSW file up to date with the catalog (incrementally when possible) and
  // returns it. A database library keeps its HNSW index in the server: nullptr.
  std::unique_ptr<VectorIndex> sync_hnsw();

  // The people store beside this library (persons, user decisions), whichever backend holds it, on a connection
  // of its own: open_people_store() gives a new one (e.g. one per thread), people_store() one kept by this object.
  std::unique_ptr<people::PeopleStore> open_people_store() const;
  people::PeopleStore& people_store();

 private:
  std::unique_ptr<Backend> backend_;
  Storage* store_;  // backend_'s catalog
  std::filesystem::path dir_;
  std::unique_ptr<people::PeopleStore> people_;
};

// Average of several L2-normalised embeddings of one person, normalised again: one better query.
Embedding combine_queries(const std::vector<Embedding>& embeddings);

}  // namespace facesearch
