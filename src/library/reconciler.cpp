// The index reconciler (reconciler.hpp): stat -> hash -> touched / moved / copied / changed / new / removed, then
// batched crash-safe writes of what the injected analysis finds.
#include "library/reconciler.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "library/storage.hpp"
#include "util/parallel.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

std::string file_sha256(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return {};  // a FIFO would block the read; the analysis reports it
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

IndexReport reconcile(Storage& store, const std::vector<fs::path>& roots, int jobs, const AnalyzeFiles& analyze,
                      const BatchCallbacks& callbacks) {
  IndexReport report;
  std::vector<fs::path> files = collect_files(roots, true);
  report.files = files.size();

  // What the catalog already knows under these roots.
  std::unordered_map<std::string, StoredImage> known;
  for (const auto& root : roots) known.merge(store.images_under(root));

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
    c.mtime = file_mtime_ns(f, ec);
    auto it = known.find(f.string());
    if (it != known.end() && it->second.size == c.size && it->second.mtime == c.mtime) {
      ++report.unchanged;
      continue;
    }
    candidates.push_back(std::move(c));
  }

  // Content hashes, on all workers: they decide between touched, moved, copied and new.
  parallel_for(candidates.size(), jobs, [&](size_t i, int) { candidates[i].hash = file_sha256(candidates[i].path); });

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
    ReconcileTransaction tx(store);
    for (auto& c : candidates) {
      auto it = known.find(c.path.string());
      if (it != known.end()) {
        if (!c.hash.empty() && c.hash == it->second.hash && it->second.status == "ok") {
          store.move_image(it->second.id, c.path, c.size, c.mtime);
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
        store.move_image(moved_from->second.id, c.path, c.size, c.mtime);
        gone.erase(moved_from->first);
        ++report.moved;
        continue;
      }
      std::optional<std::int64_t> copy_of;
      if (!c.hash.empty()) copy_of = store.find_ok_image_by_hash(c.hash);
      if (copy_of) {
        store.copy_image(*copy_of, c.path, c.size, c.mtime);
        ++report.copied;
        continue;
      }
      if (queue(c)) ++report.added;
    }
    for (auto& [gpath, gimg] : gone) {
      store.delete_image(gimg.id);
      ++report.removed;
    }
    tx.commit();
  }

  // Analyse new and changed files; each image is written with all its faces in one transaction.
  BatchedWriter writer(store);
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
  cb.on_skip = [&](const SkippedFile& skipped) {
    SkippedFile s = skipped;
    if (s.read_failed) {
      // Recording it would keep it out until it changes; a failed read says nothing about the file.
      s.reason += " (not recorded: the next index tries it again)";
    } else {
      ImageRecord r = record_for(s.path);
      r.error = s.reason;
      writer.add(std::move(r));
    }
    ++report.failed;
    report.skipped.push_back(s);
    if (callbacks.on_skip) callbacks.on_skip(s);
  };
  if (!to_analyze.empty()) analyze(to_analyze, cb);
  writer.flush();

  // The identical files held back above: copies of the row just written. If that file turned out unusable, each
  // is analysed itself (it gets its own error).
  std::vector<fs::path> unusable_twins;
  if (!same_as_queued.empty()) {
    ReconcileTransaction tx(store);
    for (const auto& c : same_as_queued) {
      const bool is_new = !known.count(c.path.string());
      if (auto source = store.find_ok_image_by_hash(c.hash)) {
        if (!is_new) store.delete_image(known.at(c.path.string()).id);  // a changed file: its old row goes
        store.copy_image(*source, c.path, c.size, c.mtime);
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
    analyze(unusable_twins, cb);
    writer.flush();
  }
  std::sort(report.skipped.begin(), report.skipped.end(), [](auto& a, auto& b) { return a.path < b.path; });

  return report;
}

}  // namespace facesearch
