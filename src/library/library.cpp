// The Library facade: a backend (catalog, searcher, people store) opened from a spec, the pack checks, and `index`
// as the reconciler (reconciler.cpp) with the engine as its analysis.
#include "library/library.hpp"

#include <chrono>
#include <cstdlib>
#include <optional>

#include "library/backend.hpp"
#include "library/index_lock.hpp"
#include "library/reconciler.hpp"

namespace fs = std::filesystem;

namespace facesearch {

// ---- Library ---------------------------------------------------------------------------------------------------

std::shared_ptr<const VectorIndex> VectorCache::find(const std::string& kind, std::int64_t generation) const {
  std::scoped_lock lock(mutex_);
  auto it = entries_.find(kind);
  return it != entries_.end() && it->second.generation == generation ? it->second.index : nullptr;
}

void VectorCache::keep(const std::string& kind, std::int64_t generation, std::shared_ptr<const VectorIndex> index) {
  std::scoped_lock lock(mutex_);
  Entry& e = entries_[kind];
  // Never replace a newer load with an older one (two searches may load at once while an indexer writes).
  if (generation >= e.generation) e = {generation, std::move(index)};
}

// ---- Library ---------------------------------------------------------------------------------------------------

Library::Library(const fs::path& dir, bool create, std::shared_ptr<VectorCache> vectors)
    : backend_(open_backend(dir.string(), create, std::move(vectors))),
      store_(&backend_->catalog()),
      dir_(backend_->location()) {}

Library::~Library() = default;

bool Library::is_database() const { return backend_->is_database(); }

std::unique_ptr<people::PeopleStore> Library::open_people_store() const { return backend_->open_people_store(); }

people::PeopleStore& Library::people_store() {
  if (!people_) people_ = backend_->open_people_store();
  return *people_;
}

fs::path Library::default_dir() {
  if (const char* e = std::getenv("FACESEARCH_LIBRARY"); e && *e) return e;
  if (const char* e = std::getenv("XDG_DATA_HOME"); e && *e) return fs::path(e) / "facesearch" / "default";
  if (const char* e = std::getenv("HOME"); e && *e) return fs::path(e) / ".local" / "share" / "facesearch" / "default";
  return fs::current_path() / "facesearch-library";
}

static ModelMismatchError mismatch(const std::string& where, const std::string& have, const ModelPack& pack) {
  // A library of the previous default pack (claimed as "default@1:...") names the pack that makes it now.
  std::string now_called, use = "Use --pack to match it";
  if (const std::optional<ModelPack> maker = builtin_pack_formerly(have)) {
    now_called = ", the pack now called '" + maker->id + "'";
    use = "Use --pack " + maker->id + " to keep using it";
  }
  return ModelMismatchError("the library in " + where + " was built with model pack '" + have + "'" + now_called +
                            ", not '" + pack.fingerprint() +
                            "': embeddings of different models cannot be mixed. " + use +
                            ", or re-index with `facesearch index --reembed`");
}

void Library::check_pack(const ModelPack& pack) {
  const std::string have = store_->pack();
  if (!have.empty() && !pack.matches_library(have)) throw mismatch(store_->location(), have, pack);
}

IndexReport Library::index(const std::vector<fs::path>& roots_in, const EngineConfig& config,
                           const IndexOptions& options, const BatchCallbacks& callbacks) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<IndexLock> one_indexer;
  if (!backend_->is_database()) one_indexer.emplace(store_->location(), callbacks.on_wait);
  const ModelPack pack = resolve_pack(config);
  if (options.reembed) store_->clear();
  check_pack(pack);
  // Another indexer may have claimed the library for another pack in the meantime.
  if (const std::string have = store_->claim_pack(pack.fingerprint(), pack.embedding_dim());
      !pack.matches_library(have))
    throw mismatch(store_->location(), have, pack);

  std::vector<fs::path> roots;
  for (const auto& r : roots_in) roots.push_back(absolute_path(r));
  auto analyze = [&](const std::vector<fs::path>& files, const BatchCallbacks& cb) {
    analyze_files(config, files, options.jobs, /*embed=*/true, cb);
  };
  IndexReport report = reconcile(*store_, roots, options.jobs, analyze, callbacks);

  store_->after_index();
  backend_->searcher().after_index();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::unique_ptr<VectorIndex> Library::sync_hnsw() { return backend_->searcher().sync_hnsw(); }

std::vector<Match> Library::search(std::span<const float> query, const SearchOptions& options) {
  return backend_->searcher().search(query, options);
}

LibraryStatus Library::status() {
  LibraryStatus s = store_->status();
  s.vector_backend = backend_->searcher().describe(s.faces);
  return s;
}

std::optional<LibraryFace> Library::face(std::int64_t id, bool with_embedding) {
  return store_->face(id, with_embedding);
}

std::optional<LibraryImage> Library::image(std::int64_t id) { return store_->image(id); }

void Library::for_each_face(const std::function<bool(const LibraryFace&)>& visit) { store_->for_each_face(visit); }

void Library::for_each_image(const std::function<bool(const LibraryImage&)>& visit) {
  store_->for_each_image(visit);
}

size_t Library::forget(const std::vector<fs::path>& paths) { return store_->forget(paths); }

Embedding combine_queries(const std::vector<Embedding>& embeddings) {
  if (embeddings.empty()) return {};
  Embedding sum(embeddings[0].size(), 0.f);
  for (const auto& e : embeddings)
    for (size_t i = 0; i < sum.size() && i < e.size(); ++i) sum[i] += e[i];
  l2_normalize(sum);
  return sum;
}

}  // namespace facesearch
