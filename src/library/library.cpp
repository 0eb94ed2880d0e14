#include "library/library.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "library/half.hpp"
#include "library/sqlite.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

constexpr int kSchemaVersion = 1;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
  error TEXT,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  format TEXT,
  face_count INTEGER NOT NULL DEFAULT 0,
  indexed_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS images_hash ON images(hash);
-- AUTOINCREMENT: a face id is never reused, so a vector index can be brought up to date incrementally.
CREATE TABLE IF NOT EXISTS faces(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  -- Box corners in tenths of a pixel and the score in 1/10000: small integers take 2-3 bytes, a REAL takes 8.
  x1 INTEGER NOT NULL, y1 INTEGER NOT NULL, x2 INTEGER NOT NULL, y2 INTEGER NOT NULL,
  score INTEGER NOT NULL,
  landmarks BLOB NOT NULL,   -- 10 int16: (x, y) of the 5 points relative to the box, in 1/10000 of its size
  embedding BLOB NOT NULL);  -- dim float16, L2-normalised
CREATE INDEX IF NOT EXISTS faces_image ON faces(image_id);
-- Deleted face ids, in order, so a vector index file knows what to drop when it catches up.
CREATE TABLE IF NOT EXISTS face_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, face_id INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS faces_deleted AFTER DELETE ON faces BEGIN
  INSERT INTO face_log(face_id) VALUES (old.id);
  UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER IF NOT EXISTS faces_inserted AFTER INSERT ON faces BEGIN
  UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1'), ('generation', '0');
)sql";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t mtime_ns(const fs::path& p, std::error_code& ec) {
  auto t = fs::last_write_time(p, ec);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

fs::path absolute_path(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

// Rows under a folder: path == root or path starts with root + "/" ('0' is the character after '/').
std::pair<std::string, std::string> prefix_range(const fs::path& root) {
  std::string base = root.string();
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return {base + "/", base + "0"};
}

std::string meta_get(sql::Database& db, const char* key) {
  auto st = db.prepare("SELECT value FROM meta WHERE key = ?");
  st.bind(1, std::string(key));
  return st.step() ? st.text(0) : std::string();
}

void meta_set(sql::Database& db, const char* key, const std::string& value) {
  db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, std::string(key))
      .bind(2, value)
      .run();
}

std::vector<std::uint8_t> encode_embedding(const Embedding& e) {
  std::vector<std::uint8_t> out(e.size() * 2);
  for (size_t i = 0; i < e.size(); ++i) {
    std::uint16_t h = float_to_half(e[i]);
    std::memcpy(&out[2 * i], &h, 2);
  }
  return out;
}

Embedding decode_embedding(std::span<const std::uint8_t> blob) {
  Embedding e(blob.size() / 2);
  for (size_t i = 0; i < e.size(); ++i) {
    std::uint16_t h;
    std::memcpy(&h, &blob[2 * i], 2);
    e[i] = half_to_float(h);
  }
  return e;
}

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

std::string file_sha256(const fs::path& p) {
  try {
    return sha256_file(p);
  } catch (const std::exception&) {
    return {};
  }
}

// Commits every few images or every second, so a crash loses at most that much work and never half an image.
class BatchedWriter {
 public:
  explicit BatchedWriter(sql::Database& db) : db_(db) {}
  ~BatchedWriter() = default;  // an uncommitted batch rolls back
  sql::Database& begin() {
    if (!tx_) {
      tx_.emplace(db_);
      started_ = std::chrono::steady_clock::now();
    }
    return db_;
  }
  void done_one() {
    if (++pending_ >= 32 || std::chrono::steady_clock::now() - started_ > std::chrono::seconds(1)) flush();
  }
  void flush() {
    if (tx_) tx_->commit();
    tx_.reset();
    pending_ = 0;
  }

 private:
  sql::Database& db_;
  std::optional<sql::Transaction> tx_;
  size_t pending_ = 0;
  std::chrono::steady_clock::time_point started_;
};

struct KnownImage {
  std::int64_t id;
  std::int64_t size, mtime;
  std::string hash, status;
};

}  // namespace

Library::Library(const fs::path& dir, bool create) : dir_(absolute_path(dir)) {
  if (!fs::exists(dir_ / "catalog.sqlite")) {
    if (!create) throw std::runtime_error("no face library in " + dir_.string() + " (run `facesearch index` first)");
    fs::create_directories(dir_);
  }
  db_ = std::make_unique<sql::Database>(dir_ / "catalog.sqlite");
  // A face row is ~1.07 KB: 32 KiB pages hold 30 of them with ~2% slack (4 KiB pages would waste ~20%).
  // page_size only takes effect on a new, empty database.
  db_->exec("PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  std::string version;
  try {
    version = meta_get(*db_, "schema_version");
  } catch (const sql::Error&) {
  }
  if (!version.empty() && std::stoi(version) > kSchemaVersion)
    throw std::runtime_error("the library in " + dir_.string() + " was made by a newer facesearch (schema " + version + ")");
  db_->exec(kSchema);
}

Library::~Library() = default;

fs::path Library::default_dir() {
  if (const char* e = std::getenv("FACESEARCH_LIBRARY"); e && *e) return e;
  if (const char* e = std::getenv("XDG_DATA_HOME"); e && *e) return fs::path(e) / "facesearch" / "default";
  if (const char* e = std::getenv("HOME"); e && *e) return fs::path(e) / ".local" / "share" / "facesearch" / "default";
  return fs::current_path() / "facesearch-library";
}

void Library::check_pack(const ModelPack& pack) {
  const std::string have = meta_get(*db_, "pack");
  if (!have.empty() && have != pack.fingerprint())
    throw ModelMismatchError("the library in " + dir_.string() + " was built with model pack '" + have +
                             "', not '" + pack.fingerprint() +
                             "': embeddings of different models cannot be mixed. Use --pack to match it, or "
                             "re-index with `facesearch index --reembed`");
}

std::int64_t Library::generation() { return std::stoll(meta_get(*db_, "generation")); }

size_t Library::face_count() {
  auto st = db_->prepare("SELECT count(*) FROM faces");
  st.step();
  return static_cast<size_t>(st.i64(0));
}

IndexReport Library::index(const std::vector<fs::path>& roots_in, const EngineConfig& config,
                           const IndexOptions& options, const BatchCallbacks& callbacks) {
  const auto start = std::chrono::steady_clock::now();
  const ModelPack pack = find_builtin_pack(config.pack_id);
  if (options.reembed) {
    sql::Transaction tx(*db_);
    db_->exec("DELETE FROM faces; DELETE FROM images; DELETE FROM meta WHERE key = 'pack';");
    tx.commit();
  }
  check_pack(pack);
  {
    sql::Transaction tx(*db_);
    if (meta_get(*db_, "pack").empty()) {
      meta_set(*db_, "pack", pack.fingerprint());
      meta_set(*db_, "dim", std::to_string(pack.embedding_dim()));
    }
    tx.commit();
  }

  std::vector<fs::path> roots;
  for (const auto& r : roots_in) roots.push_back(absolute_path(r));
  IndexReport report;
  std::vector<fs::path> files = collect_files(roots, true);
  report.files = files.size();

  // What the catalog already knows under these roots.
  std::unordered_map<std::string, KnownImage> known;
  for (const auto& root : roots) {
    auto [lo, hi] = prefix_range(root);
    auto st = db_->prepare(
        "SELECT id, path, size, mtime_ns, hash, status FROM images WHERE path = ? OR (path >= ? AND path < ?)");
    st.bind(1, root.string()).bind(2, lo).bind(3, hi);
    while (st.step()) known[st.text(1)] = {st.i64(0), st.i64(2), st.i64(3), st.text(4), st.text(5)};
  }

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

  std::map<std::string, KnownImage> gone;  // in the catalog, no longer on disk
  for (const auto& [path, img] : known)
    if (!present.count(path)) gone.emplace(path, img);

  std::vector<fs::path> to_analyze;
  std::map<fs::path, Candidate> pending;
  {
    sql::Transaction tx(*db_);
    auto update_file = db_->prepare("UPDATE images SET path = ?, size = ?, mtime_ns = ? WHERE id = ?");
    for (auto& c : candidates) {
      auto it = known.find(c.path.string());
      if (it != known.end()) {
        if (!c.hash.empty() && c.hash == it->second.hash && it->second.status == "ok") {
          update_file.bind(1, c.path.string()).bind(2, c.size).bind(3, c.mtime).bind(4, it->second.id).run();
          ++report.touched;
        } else {
          ++report.changed;
          pending[c.path] = c;
          to_analyze.push_back(c.path);
        }
        continue;
      }
      // A new path: the same bytes may already be indexed under a path that is gone (a move) or still there (a copy).
      std::optional<std::pair<std::string, KnownImage>> moved_from;
      for (auto& [gpath, gimg] : gone)
        if (gimg.hash == c.hash && gimg.status == "ok") {
          moved_from.emplace(gpath, gimg);
          break;
        }
      if (moved_from && !c.hash.empty()) {
        update_file.bind(1, c.path.string()).bind(2, c.size).bind(3, c.mtime).bind(4, moved_from->second.id).run();
        gone.erase(moved_from->first);
        ++report.moved;
        continue;
      }
      std::optional<std::int64_t> copy_of;
      if (!c.hash.empty()) {
        auto st = db_->prepare("SELECT id FROM images WHERE hash = ? AND status = 'ok' LIMIT 1");
        st.bind(1, c.hash);
        if (st.step()) copy_of = st.i64(0);
      }
      if (copy_of) {
        db_->prepare(
               "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, "
               "indexed_at) SELECT ?, ?, ?, hash, status, error, width, height, format, face_count, ? FROM images "
               "WHERE id = ?")
            .bind(1, c.path.string()).bind(2, c.size).bind(3, c.mtime).bind(4, now_seconds()).bind(5, *copy_of)
            .run();
        const std::int64_t new_id = db_->last_insert_id();
        db_->prepare(
               "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding) SELECT ?, x1, y1, x2, y2, "
               "score, landmarks, embedding FROM faces WHERE image_id = ? ORDER BY id")
            .bind(1, new_id).bind(2, *copy_of)
            .run();
        ++report.copied;
        continue;
      }
      ++report.added;
      pending[c.path] = c;
      to_analyze.push_back(c.path);
    }
    auto del = db_->prepare("DELETE FROM images WHERE id = ?");
    for (auto& [gpath, gimg] : gone) {
      del.bind(1, gimg.id).run();
      ++report.removed;
    }
    tx.commit();
  }

  // Analyse new and changed files; each image is written with all its faces in one transaction.
  BatchedWriter writer(*db_);
  auto upsert_image = [&](sql::Database& db, const Candidate& c, const ImageFaces* img, const std::string& error) {
    db.prepare("DELETE FROM images WHERE path = ?").bind(1, c.path.string()).run();
    auto ins = db.prepare(
        "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, indexed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, c.path.string()).bind(2, c.size).bind(3, c.mtime).bind(4, c.hash);
    ins.bind(5, std::string(img ? "ok" : "error"));
    if (img) ins.bind_null(6); else ins.bind(6, error);
    ins.bind(7, img ? img->width : 0).bind(8, img ? img->height : 0);
    ins.bind(9, std::string(img ? format_name(img->format) : "")).bind(10, img ? static_cast<int>(img->faces.size()) : 0);
    ins.bind(11, now_seconds());
    ins.run();
    return db.last_insert_id();
  };
  BatchCallbacks cb = callbacks;
  cb.on_image = [&](ImageFaces&& img) {
    const Candidate& c = pending.at(img.path);
    sql::Database& db = writer.begin();
    const std::int64_t image_id = upsert_image(db, c, &img, {});
    auto ins = db.prepare(
        "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& f : img.faces) {
      auto lm = encode_landmarks(f.box, f.landmarks);
      auto emb = encode_embedding(f.embedding);
      auto tenths = [](float v) { return static_cast<std::int64_t>(std::lround(v * 10.f)); };
      ins.bind(1, image_id).bind(2, tenths(f.box.x1)).bind(3, tenths(f.box.y1));
      ins.bind(4, tenths(f.box.x2)).bind(5, tenths(f.box.y2));
      ins.bind(6, static_cast<std::int64_t>(std::lround(f.score * 10000.f)));
      ins.bind_blob(7, lm.data(), sizeof(lm)).bind_blob(8, emb.data(), emb.size());
      ins.run();
    }
    ++report.embedded_images;
    report.faces_added += img.faces.size();
    writer.done_one();
    if (callbacks.on_image) callbacks.on_image(std::move(img));
  };
  cb.on_skip = [&](const SkippedFile& s) {
    const Candidate& c = pending.at(s.path);
    upsert_image(writer.begin(), c, nullptr, s.reason);
    ++report.failed;
    report.skipped.push_back(s);
    writer.done_one();
    if (callbacks.on_skip) callbacks.on_skip(s);
  };
  if (!to_analyze.empty()) analyze_files(config, to_analyze, options.jobs, /*embed=*/true, cb);
  writer.flush();
  std::sort(report.skipped.begin(), report.skipped.end(), [](auto& a, auto& b) { return a.path < b.path; });

  // Large libraries are searched through HNSW: bring its file up to date now rather than at the first search.
  if (face_count() > kExactLimit) sync_hnsw();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::unique_ptr<VectorIndex> Library::load_exact() {
  const int dim = std::stoi(meta_get(*db_, "dim").empty() ? "512" : meta_get(*db_, "dim"));
  auto index = make_exact_index(dim, VectorPrecision::F32);
  auto st = db_->prepare("SELECT id, embedding FROM faces");
  while (st.step()) index->add(st.i64(0), decode_embedding(st.blob(1)));
  return index;
}

std::unique_ptr<VectorIndex> Library::sync_hnsw() {
  const fs::path file = dir_ / "vectors.hnsw", side = dir_ / "vectors.hnsw.json";
  const int dim = std::stoi(meta_get(*db_, "dim").empty() ? "512" : meta_get(*db_, "dim"));
  // One read transaction: generation, deletions and new faces all from the same snapshot.
  db_->exec("BEGIN");
  struct Closer {
    sql::Database& db;
    ~Closer() {
      try {
        db.exec("COMMIT");
      } catch (...) {
      }
    }
  } closer{*db_};
  const std::int64_t gen = generation();
  std::int64_t last_seq = 0, max_id = 0;
  std::unique_ptr<VectorIndex> index;
  try {
    std::ifstream in(side);
    auto j = nlohmann::json::parse(in);
    if (j.at("pack").get<std::string>() == meta_get(*db_, "pack")) {
      index = load_hnsw_index(file, dim);
      last_seq = j.at("log_seq").get<std::int64_t>();
      max_id = j.at("max_face_id").get<std::int64_t>();
      if (index && j.at("generation").get<std::int64_t>() == gen) return index;
    }
  } catch (const std::exception&) {
    index.reset();  // missing or unreadable sidecar: rebuild, never trust the file
  }
  if (!index) {
    index = make_hnsw_index(dim);
    last_seq = max_id = 0;
  } else {
    auto st = db_->prepare("SELECT face_id FROM face_log WHERE seq > ?");
    st.bind(1, last_seq);
    while (st.step()) index->remove(st.i64(0));
  }
  {
    auto st = db_->prepare("SELECT id, embedding FROM faces WHERE id > ? ORDER BY id");
    st.bind(1, max_id);
    while (st.step()) index->add(st.i64(0), decode_embedding(st.blob(1)));
  }
  auto seq = db_->prepare("SELECT coalesce(max(seq), 0) FROM face_log");
  seq.step();
  auto mx = db_->prepare("SELECT coalesce(max(id), 0) FROM faces");
  mx.step();
  save_hnsw_index(*index, file);
  nlohmann::json j = {{"generation", gen}, {"log_seq", seq.i64(0)}, {"max_face_id", std::max(mx.i64(0), max_id)},
                      {"pack", meta_get(*db_, "pack")}};
  {
    std::ofstream out(side.string() + ".tmp");
    out << j.dump();
  }
  fs::rename(side.string() + ".tmp", side);
  return index;
}

std::vector<Match> Library::search(std::span<const float> query, const SearchOptions& options) {
  const size_t faces = face_count();
  const bool hnsw = options.backend == VectorBackend::Hnsw ||
                    (options.backend == VectorBackend::Auto && faces > kExactLimit);
  std::unique_ptr<VectorIndex> index = hnsw ? sync_hnsw() : load_exact();
  size_t k = options.top ? options.top : (hnsw ? 1000 : std::max<size_t>(faces, 1));
  std::vector<Neighbor> found = index->search(query, k, options.threshold);

  std::vector<Match> matches;
  auto st = db_->prepare(
      "SELECT i.path, i.width, i.height, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks, f.image_id FROM faces f "
      "JOIN images i ON i.id = f.image_id WHERE f.id = ?");
  for (const auto& n : found) {
    st.bind(1, n.id);
    if (st.step()) {
      Match m;
      m.path = st.text(0);
      m.width = static_cast<int>(st.i64(1));
      m.height = static_cast<int>(st.i64(2));
      m.face.box = {st.i64(3) / 10.f, st.i64(4) / 10.f, st.i64(5) / 10.f, st.i64(6) / 10.f};
      m.face.score = st.i64(7) / 10000.f;
      m.face.landmarks = decode_landmarks(m.face.box, st.blob(8));
      m.similarity = n.similarity;
      m.face_id = n.id;
      m.image_id = st.i64(9);
      matches.push_back(std::move(m));
    }
    st.reset();
  }
  // The same order as `scan`: similarity, then path, then left to right.
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    if (a.path != b.path) return a.path < b.path;
    return a.face.box.x1 < b.face.box.x1;
  });
  return matches;
}

LibraryStatus Library::status() {
  LibraryStatus s;
  s.dir = dir_;
  s.pack = meta_get(*db_, "pack");
  auto st = db_->prepare(
      "SELECT count(*), coalesce(sum(status = 'ok' AND face_count = 0), 0), coalesce(sum(status = 'error'), 0) FROM images");
  st.step();
  s.images = static_cast<size_t>(st.i64(0));
  s.zero_face_images = static_cast<size_t>(st.i64(1));
  s.failed_images = static_cast<size_t>(st.i64(2));
  s.faces = face_count();
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir_, ec))
    if (e.is_regular_file(ec)) s.bytes_on_disk += e.file_size(ec);
  s.vector_backend = s.faces > kExactLimit ? "hnsw" : "exact";
  return s;
}

namespace {
// Columns: f.id, f.image_id, i.path, i.width, i.height, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks[, f.embedding]
constexpr const char* kFaceColumns =
    "f.id, f.image_id, i.path, i.width, i.height, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks";

LibraryFace read_face(sql::Statement& st, bool with_embedding) {
  LibraryFace f;
  f.id = st.i64(0);
  f.image_id = st.i64(1);
  f.path = st.text(2);
  f.width = static_cast<int>(st.i64(3));
  f.height = static_cast<int>(st.i64(4));
  f.face.box = {st.i64(5) / 10.f, st.i64(6) / 10.f, st.i64(7) / 10.f, st.i64(8) / 10.f};
  f.face.score = st.i64(9) / 10000.f;
  f.face.landmarks = decode_landmarks(f.face.box, st.blob(10));
  if (with_embedding) f.face.embedding = decode_embedding(st.blob(11));
  return f;
}
}  // namespace

std::optional<LibraryFace> Library::face(std::int64_t id, bool with_embedding) {
  const std::string q = std::string("SELECT ") + kFaceColumns +
                        ", f.embedding FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = ?";
  auto st = db_->prepare(q.c_str());
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_face(st, with_embedding);
}

std::optional<LibraryImage> Library::image(std::int64_t id) {
  auto st = db_->prepare("SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, '') "
                         "FROM images WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  LibraryImage img;
  img.id = st.i64(0);
  img.path = st.text(1);
  img.width = static_cast<int>(st.i64(2));
  img.height = static_cast<int>(st.i64(3));
  img.format = st.text(4);
  img.status = st.text(5);
  img.error = st.text(6);
  const std::string q = std::string("SELECT ") + kFaceColumns +
                        " FROM faces f JOIN images i ON i.id = f.image_id WHERE f.image_id = ? ORDER BY f.x1, f.id";
  auto fs_ = db_->prepare(q.c_str());
  fs_.bind(1, id);
  while (fs_.step()) img.faces.push_back(read_face(fs_, false));
  return img;
}

void Library::for_each_face(const std::function<bool(const LibraryFace&)>& visit) {
  const std::string q = std::string("SELECT ") + kFaceColumns +
                        ", f.embedding FROM faces f JOIN images i ON i.id = f.image_id ORDER BY f.id";
  auto st = db_->prepare(q.c_str());
  while (st.step())
    if (!visit(read_face(st, true))) break;
}

size_t Library::forget(const std::vector<fs::path>& paths) {
  sql::Transaction tx(*db_);
  size_t removed = 0;
  for (const auto& p : paths) {
    const fs::path abs = absolute_path(p);
    auto [lo, hi] = prefix_range(abs);
    auto st = db_->prepare("DELETE FROM images WHERE path = ? OR (path >= ? AND path < ?)");
    st.bind(1, abs.string()).bind(2, lo).bind(3, hi);
    st.run();
    removed += static_cast<size_t>(db_->changes());
  }
  tx.commit();
  return removed;
}

Embedding combine_queries(const std::vector<Embedding>& embeddings) {
  if (embeddings.empty()) return {};
  Embedding sum(embeddings[0].size(), 0.f);
  for (const auto& e : embeddings)
    for (size_t i = 0; i < sum.size() && i < e.size(); ++i) sum[i] += e[i];
  l2_normalize(sum);
  return sum;
}

}  // namespace facesearch
