// The Library facade and the index diffing shared by both storage backends (stat -> hash -> touched / moved /
// copied / changed / new / removed, then batched crash-safe writes).
#include "library/library.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "library/storage.hpp"

namespace fs = std::filesystem;

namespace facesearch {

// ---- encodings shared by both backends -------------------------------------------------------------------------

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

fs::path absolute_path(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

std::pair<std::string, std::string> prefix_range(const fs::path& root) {
  std::string base = root.string();
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return {base + "/", base + "0"};
}

std::int64_t box_tenths(float v) { return static_cast<std::int64_t>(std::lround(v * 10.f)); }
std::int64_t score_units(float v) { return static_cast<std::int64_t>(std::lround(v * 10000.f)); }

// Landmarks relative to the box, in 1/10000 of its width and height: int16 is plenty (sub-pixel for faces up to
// several thousand pixels) and half the size of float32.
std::array<std::int16_t, 10> encode_landmarks(const Box& box, const Landmarks5& lm) {
  std::array<std::int16_t, 10> out{};
  const float w = std::max(box.width(), 1e-3f), h = std::max(box.height(), 1e-3f);
  auto q = [](float v) { return static_cast<std::int16_t>(std::clamp(std::lround(v * 10000.f), -32767L, 32767L)); };
  for (size_t i = 0; i < 5; ++i) {
    out[2 * i] = q((lm[i].x - box.x1) / w);
    out[2 * i + 1] = q((lm[i].y - box.y1) / h);
  }
  return out;
}

Landmarks5 decode_landmarks(const Box& box, std::span<const std::uint8_t> blob) {
  std::array<std::int16_t, 10> v{};
  std::memcpy(v.data(), blob.data(), std::min(blob.size(), sizeof(v)));
  Landmarks5 lm{};
  for (size_t i = 0; i < 5; ++i)
    lm[i] = {box.x1 + v[2 * i] / 10000.f * box.width(), box.y1 + v[2 * i + 1] / 10000.f * box.height()};
  return lm;
}

void sort_like_scan(std::vector<Match>& matches) {
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    if (a.path != b.path) return a.path < b.path;
    return a.face.box.x1 < b.face.box.x1;
  });
}

bool is_database_url(const std::string& spec) {
  return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

namespace {

std::int64_t mtime_ns(const fs::path& p, std::error_code& ec) {
  auto t = fs::last_write_time(p, ec);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string file_sha256(const fs::path& p) {
  try {
    return sha256_file(p);
  } catch (const std::exception&) {
    return {};
  }
}

// Collects analysed images and writes them every few images or every second, each batch in one transaction, so a
// crash loses at most that much work and never half an image.
class BatchedWriter {
 public:
  explicit BatchedWriter(Storage& store) : store_(store) {}
  void add(ImageRecord&& record) {
    if (batch_.empty()) started_ = std::chrono::steady_clock::now();
    batch_.push_back(std::move(record));
    if (batch_.size() >= 32 || std::chrono::steady_clock::now() - started_ > std::chrono::seconds(1)) flush();
  }
  void flush() {
    store_.write_images(batch_);
    batch_.clear();
  }

 private:
  Storage& store_;
  std::vector<ImageRecord> batch_;
  std::chrono::steady_clock::time_point started_;
};

// Rolls the reconciliation back unless committed (e.g. on an exception).
struct ReconcileTransaction {
  Storage& store;
  bool open = true;
  explicit ReconcileTransaction(Storage& s) : store(s) { store.begin(); }
  void commit() {
    store.commit();
    open = false;
  }
  ~ReconcileTransaction() {
    if (open) try {
        store.rollback();
      } catch (...) {
      }
  }
};

}  // namespace

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

Library::Library(const fs::path& dir, bool create, std::shared_ptr<VectorCache> vectors) {
  const std::string spec = dir.string();
  if (is_database_url(spec)) {
    store_ = open_postgres_storage(spec, create);
    dir_ = store_->location();
  } else {
    store_ = open_sqlite_storage(dir, create);
    dir_ = absolute_path(dir);
  }
  if (vectors) store_->use_vector_cache(std::move(vectors));
}

Library::~Library() = default;

bool Library::is_database() const { return is_database_url(dir_.string()); }

fs::path Library::default_dir() {
  if (const char* e = std::getenv("FACESEARCH_LIBRARY"); e && *e) return e;
  if (const char* e = std::getenv("XDG_DATA_HOME"); e && *e) return fs::path(e) / "facesearch" / "default";
  if (const char* e = std::getenv("HOME"); e && *e) return fs::path(e) / ".local" / "share" / "facesearch" / "default";
  return fs::current_path() / "facesearch-library";
}

static ModelMismatchError mismatch(const std::string& where, const std::string& have, const ModelPack& pack) {
  return ModelMismatchError("the library in " + where + " was built with model pack '" + have + "', not '" +
                            pack.fingerprint() +
                            "': embeddings of different models cannot be mixed. Use --pack to match it, or "
                            "re-index with `facesearch index --reembed`");
}

void Library::check_pack(const ModelPack& pack) {
  const std::string have = store_->pack();
  if (!have.empty() && have != pack.fingerprint()) throw mismatch(store_->location(), have, pack);
}

IndexReport Library::index(const std::vector<fs::path>& roots_in, const EngineConfig& config,
                           const IndexOptions& options, const BatchCallbacks& callbacks) {
  const auto start = std::chrono::steady_clock::now();
  const ModelPack pack = find_builtin_pack(config.pack_id);
  if (options.reembed) store_->clear();
  check_pack(pack);
  // Another indexer may have claimed the library for another pack in the meantime.
  if (const std::string have = store_->claim_pack(pack.fingerprint(), pack.embedding_dim()); have != pack.fingerprint())
    throw mismatch(store_->location(), have, pack);

  std::vector<fs::path> roots;
  for (const auto& r : roots_in) roots.push_back(absolute_path(r));
  IndexReport report;
  std::vector<fs::path> files = collect_files(roots, true);
  report.files = files.size();

  // What the catalog already knows under these roots.
  std::unordered_map<std::string, StoredImage> known;
  for (const auto& root : roots) known.merge(store_->images_under(root));

  struct Candidate {
    fs::path path;
    std::int64_t size = 0, mtime = 0;
    std::string hash;
  };
  std::vector<Candidate> candidates;
  std::set<std::string> present;
  for (const auto& f : files) {
    present.insert(f.string());
    std::error_code ec;
    Candidate c{f, static_cast<std::int64_t>(fs::file_size(f, ec)), 0, {}};
    if (ec) c.size = -1;
    c.mtime = mtime_ns(f, ec);
    auto it = known.find(f.string());
    if (it != known.end() && it->second.size == c.size && it->second.mtime == c.mtime) {
      ++report.unchanged;
      continue;
    }
    candidates.push_back(std::move(c));
  }

  // Content hashes, on all workers: they decide between touched, moved, copied and new.
  {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < candidates.size(); i = next++) candidates[i].hash = file_sha256(candidates[i].path);
    };
    std::vector<std::thread> threads;
    for (int j = 1; j < options.jobs; ++j) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
  }

  std::map<std::string, StoredImage> gone;  // in the catalog, no longer on disk
  for (const auto& [path, img] : known)
    if (!present.count(path)) gone.emplace(path, img);

  std::vector<fs::path> to_analyze;
  std::map<fs::path, Candidate> pending;
  // Identical files met in this run are analysed once: the first goes to the engine, the others wait for its row
  // and become copies of it.
  std::set<std::string> queued_hashes;
  std::vector<Candidate> same_as_queued;
  auto queue = [&](const Candidate& c) {
    if (!c.hash.empty() && !queued_hashes.insert(c.hash).second) {
      same_as_queued.push_back(c);
      return false;
    }
    pending[c.path] = c;
    to_analyze.push_back(c.path);
    return true;
  };
  {
    ReconcileTransaction tx(*store_);
    for (auto& c : candidates) {
      auto it = known.find(c.path.string());
      if (it != known.end()) {
        if (!c.hash.empty() && c.hash == it->second.hash && it->second.status == "ok") {
          store_->move_image(it->second.id, c.path, c.size, c.mtime);
          ++report.touched;
        } else {
          ++report.changed;
          queue(c);
        }
        continue;
      }
      // A new path: the same bytes may already be indexed under a path that is gone (a move) or still there (a copy).
      std::optional<std::pair<std::string, StoredImage>> moved_from;
      for (auto& [gpath, gimg] : gone)
        if (gimg.hash == c.hash && gimg.status == "ok") {
          moved_from.emplace(gpath, gimg);
          break;
        }
      if (moved_from && !c.hash.empty()) {
        store_->move_image(moved_from->second.id, c.path, c.size, c.mtime);
        gone.erase(moved_from->first);
        ++report.moved;
        continue;
      }
      std::optional<std::int64_t> copy_of;
      if (!c.hash.empty()) copy_of = store_->find_ok_image_by_hash(c.hash);
      if (copy_of) {
        store_->copy_image(*copy_of, c.path, c.size, c.mtime);
        ++report.copied;
        continue;
      }
      if (queue(c)) ++report.added;
    }
    for (auto& [gpath, gimg] : gone) {
      store_->delete_image(gimg.id);
      ++report.removed;
    }
    tx.commit();
  }

  // Analyse new and changed files; each image is written with all its faces in one transaction.
  BatchedWriter writer(*store_);
  auto record_for = [&](const fs::path& path) {
    const Candidate& c = pending.at(path);
    ImageRecord r;
    r.path = c.path;
    r.size = c.size;
    r.mtime = c.mtime;
    r.hash = c.hash;
    return r;
  };
  BatchCallbacks cb = callbacks;
  cb.on_image = [&](ImageFaces&& img) {
    ImageRecord r = record_for(img.path);
    report.faces_added += img.faces.size();
    ++report.embedded_images;
    if (callbacks.on_image) {
      r.faces = img;  // the caller gets the original
      writer.add(std::move(r));
      callbacks.on_image(std::move(img));
    } else {
      r.faces = std::move(img);
      writer.add(std::move(r));
    }
  };
  cb.on_skip = [&](const SkippedFile& s) {
    ImageRecord r = record_for(s.path);
    r.error = s.reason;
    writer.add(std::move(r));
    ++report.failed;
    report.skipped.push_back(s);
    if (callbacks.on_skip) callbacks.on_skip(s);
  };
  if (!to_analyze.empty()) analyze_files(config, to_analyze, options.jobs, /*embed=*/true, cb);
  writer.flush();

  // The identical files held back above: copies of the row just written. If that file turned out unusable, each
  // is analysed itself (it gets its own error).
  std::vector<fs::path> unusable_twins;
  if (!same_as_queued.empty()) {
    ReconcileTransaction tx(*store_);
    for (const auto& c : same_as_queued) {
      const bool is_new = !known.count(c.path.string());
      if (auto source = store_->find_ok_image_by_hash(c.hash)) {
        if (!is_new) store_->delete_image(known.at(c.path.string()).id);  // a changed file: its old row goes
        store_->copy_image(*source, c.path, c.size, c.mtime);
        if (is_new) ++report.copied;
      } else {
        if (is_new) ++report.added;
        pending[c.path] = c;
        unusable_twins.push_back(c.path);
      }
    }
    tx.commit();
  }
  if (!unusable_twins.empty()) {
    analyze_files(config, unusable_twins, options.jobs, /*embed=*/true, cb);
    writer.flush();
  }
  std::sort(report.skipped.begin(), report.skipped.end(), [](auto& a, auto& b) { return a.path < b.path; });

  store_->after_index();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::unique_ptr<VectorIndex> Library::sync_hnsw() { return store_->sync_hnsw(); }

std::vector<Match> Library::search(std::span<const float> query, const SearchOptions& options) {
  return store_->search(query, options);
}

LibraryStatus Library::status() { return store_->status(); }

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
