// The embedded backend: a SQLite catalog (WAL) in one directory, searched through src/vector (exact, or an HNSW file
// kept up to date from the catalog).
#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "library/half.hpp"
#include "library/sqlite.hpp"
#include "library/storage.hpp"

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

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const fs::path& dir, bool create) : dir_(absolute_path(dir)) {
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
      throw std::runtime_error("the library in " + dir_.string() + " was made by a newer facesearch (schema " +
                               version + ")");
    db_->exec(kSchema);
  }

  std::string location() const override { return dir_.string(); }
  std::string pack() override { return meta_get(*db_, "pack"); }
  int dim() override {
    const std::string d = meta_get(*db_, "dim");
    return d.empty() ? 512 : std::stoi(d);
  }

  std::string claim_pack(const std::string& fingerprint, int dim) override {
    sql::Transaction tx(*db_);  // BEGIN IMMEDIATE: one writer at a time across processes
    std::string have = meta_get(*db_, "pack");
    if (have.empty()) {
      meta_set(*db_, "pack", fingerprint);
      meta_set(*db_, "dim", std::to_string(dim));
      have = fingerprint;
    }
    tx.commit();
    return have;
  }

  void clear() override {
    sql::Transaction tx(*db_);
    db_->exec("DELETE FROM faces; DELETE FROM images; DELETE FROM meta WHERE key = 'pack';");
    tx.commit();
  }

  std::unordered_map<std::string, StoredImage> images_under(const fs::path& root) override {
    std::unordered_map<std::string, StoredImage> known;
    auto [lo, hi] = prefix_range(root);
    auto st = db_->prepare(
        "SELECT id, path, size, mtime_ns, hash, status FROM images WHERE path = ? OR (path >= ? AND path < ?)");
    st.bind(1, root.string()).bind(2, lo).bind(3, hi);
    while (st.step()) known[st.text(1)] = {st.i64(0), st.i64(2), st.i64(3), st.text(4), st.text(5)};
    return known;
  }

  void begin() override { tx_.emplace(*db_); }
  void commit() override {
    if (tx_) tx_->commit();
    tx_.reset();
  }
  void rollback() override { tx_.reset(); }

  void move_image(std::int64_t id, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    db_->prepare("UPDATE images SET path = ?, size = ?, mtime_ns = ? WHERE id = ?")
        .bind(1, path.string()).bind(2, size).bind(3, mtime).bind(4, id)
        .run();
  }

  std::optional<std::int64_t> find_ok_image_by_hash(const std::string& hash) override {
    auto st = db_->prepare("SELECT id FROM images WHERE hash = ? AND status = 'ok' LIMIT 1");
    st.bind(1, hash);
    if (st.step()) return st.i64(0);
    return std::nullopt;
  }

  void copy_image(std::int64_t source, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    db_->prepare(
           "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, "
           "indexed_at) SELECT ?, ?, ?, hash, status, error, width, height, format, face_count, ? FROM images "
           "WHERE id = ?")
        .bind(1, path.string()).bind(2, size).bind(3, mtime).bind(4, now_seconds()).bind(5, source)
        .run();
    const std::int64_t new_id = db_->last_insert_id();
    db_->prepare(
           "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding) SELECT ?, x1, y1, x2, y2, "
           "score, landmarks, embedding FROM faces WHERE image_id = ? ORDER BY id")
        .bind(1, new_id).bind(2, source)
        .run();
  }

  void delete_image(std::int64_t id) override { db_->prepare("DELETE FROM images WHERE id = ?").bind(1, id).run(); }

  void write_images(const std::vector<ImageRecord>& batch) override {
    if (batch.empty()) return;
    sql::Transaction tx(*db_);
    auto del = db_->prepare("DELETE FROM images WHERE path = ?");
    auto ins = db_->prepare(
        "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, indexed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto ins_face = db_->prepare(
        "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const ImageRecord& r : batch) {
      del.bind(1, r.path.string()).run();
      del.reset();
      const ImageFaces* img = r.faces ? &*r.faces : nullptr;
      ins.bind(1, r.path.string()).bind(2, r.size).bind(3, r.mtime).bind(4, r.hash);
      ins.bind(5, std::string(img ? "ok" : "error"));
      if (img) ins.bind_null(6); else ins.bind(6, r.error);
      ins.bind(7, img ? img->width : 0).bind(8, img ? img->height : 0);
      ins.bind(9, std::string(img ? format_name(img->format) : ""));
      ins.bind(10, img ? static_cast<int>(img->faces.size()) : 0);
      ins.bind(11, now_seconds());
      ins.run();
      ins.reset();
      if (!img) continue;
      const std::int64_t image_id = db_->last_insert_id();
      for (const auto& f : img->faces) {
        auto lm = encode_landmarks(f.box, f.landmarks);
        auto emb = encode_embedding(f.embedding);
        ins_face.bind(1, image_id).bind(2, box_tenths(f.box.x1)).bind(3, box_tenths(f.box.y1));
        ins_face.bind(4, box_tenths(f.box.x2)).bind(5, box_tenths(f.box.y2)).bind(6, score_units(f.score));
        ins_face.bind_blob(7, lm.data(), sizeof(lm)).bind_blob(8, emb.data(), emb.size());
        ins_face.run();
        ins_face.reset();
      }
    }
    tx.commit();
  }

  void after_index() override {
    // Large libraries are searched through HNSW: bring its file up to date now rather than at the first search.
    if (face_count() > Library::kExactLimit) sync_hnsw();
  }

  size_t face_count() override {
    auto st = db_->prepare("SELECT count(*) FROM faces");
    st.step();
    return static_cast<size_t>(st.i64(0));
  }

  std::unique_ptr<VectorIndex> load_exact() {
    auto index = make_exact_index(dim(), VectorPrecision::F32);
    auto st = db_->prepare("SELECT id, embedding FROM faces");
    while (st.step()) index->add(st.i64(0), decode_embedding(st.blob(1)));
    return index;
  }

  std::unique_ptr<VectorIndex> sync_hnsw() override {
    const fs::path file = dir_ / "vectors.hnsw", side = dir_ / "vectors.hnsw.json";
    const int d = dim();
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
    const std::int64_t gen = std::stoll(meta_get(*db_, "generation"));
    const std::string pack_id = meta_get(*db_, "pack");
    std::int64_t last_seq = 0, max_id = 0;
    std::unique_ptr<VectorIndex> index;
    try {
      std::ifstream in(side);
      auto j = nlohmann::json::parse(in);
      if (j.at("pack").get<std::string>() == pack_id) {
        index = load_hnsw_index(file, d);
        last_seq = j.at("log_seq").get<std::int64_t>();
        max_id = j.at("max_face_id").get<std::int64_t>();
        if (index && j.at("generation").get<std::int64_t>() == gen) return index;
      }
    } catch (const std::exception&) {
      index.reset();  // missing or unreadable sidecar: rebuild, never trust the file
    }
    if (!index) {
      index = make_hnsw_index(d);
      last_seq = max_id = 0;
    } else {
      auto st = db_->prepare("SELECT face_id FROM face_log WHERE seq > ?");
      st.bind(1, last_seq);
      while (st.step()) index->remove(st.i64(0));
    }
    {
      // New faces go in as one batch: the graph is built on every core.
      auto st = db_->prepare("SELECT id, embedding FROM faces WHERE id > ? ORDER BY id");
      st.bind(1, max_id);
      std::vector<FaceId> ids;
      std::vector<float> vectors;
      const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
      auto flush = [&] {
        index->add_batch(ids, vectors, threads);
        ids.clear();
        vectors.clear();
      };
      while (st.step()) {
        ids.push_back(st.i64(0));
        const Embedding e = decode_embedding(st.blob(1));
        vectors.insert(vectors.end(), e.begin(), e.end());
        if (ids.size() == 65536) flush();  // bounded memory for a first build of millions
      }
      flush();
    }
    auto seq = db_->prepare("SELECT coalesce(max(seq), 0) FROM face_log");
    seq.step();
    auto mx = db_->prepare("SELECT coalesce(max(id), 0) FROM faces");
    mx.step();
    save_hnsw_index(*index, file);
    nlohmann::json j = {{"generation", gen}, {"log_seq", seq.i64(0)}, {"max_face_id", std::max(mx.i64(0), max_id)},
                        {"pack", pack_id}};
    {
      std::ofstream out(side.string() + ".tmp");
      out << j.dump();
    }
    fs::rename(side.string() + ".tmp", side);
    return index;
  }

  void use_vector_cache(std::shared_ptr<VectorCache> cache) override { vectors_ = std::move(cache); }

  // The vectors to search, from the cache while no face was added or removed since they were loaded. `gen` is
  // read before loading: a write in between makes the entry look older than it is, never newer.
  std::shared_ptr<const VectorIndex> searchable(bool hnsw, std::int64_t gen) {
    const std::string kind = hnsw ? "hnsw" : "exact";
    if (auto cached = vectors_->find(kind, gen)) return cached;
    std::shared_ptr<const VectorIndex> index = hnsw ? sync_hnsw() : load_exact();
    vectors_->keep(kind, gen, index);
    return index;
  }

  std::vector<Match> search(std::span<const float> query, const SearchOptions& options) override {
    // count(*) walks the whole table (~6 ms at 1M faces): counted again only when the generation moved.
    const std::int64_t gen = std::stoll(meta_get(*db_, "generation"));
    if (gen != counted_generation_) {
      counted_faces_ = face_count();
      counted_generation_ = gen;
    }
    const size_t faces = counted_faces_;
    const bool hnsw = options.backend == VectorBackend::Hnsw ||
                      (options.backend == VectorBackend::Auto && faces > Library::kExactLimit);
    std::shared_ptr<const VectorIndex> index = searchable(hnsw, gen);
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
    sort_like_scan(matches);
    return matches;
  }

  LibraryStatus status() override {
    LibraryStatus s;
    s.dir = dir_;
    s.pack = meta_get(*db_, "pack");
    auto st = db_->prepare(
        "SELECT count(*), coalesce(sum(status = 'ok' AND face_count = 0), 0), coalesce(sum(status = 'error'), 0) "
        "FROM images");
    st.step();
    s.images = static_cast<size_t>(st.i64(0));
    s.zero_face_images = static_cast<size_t>(st.i64(1));
    s.failed_images = static_cast<size_t>(st.i64(2));
    s.faces = face_count();
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir_, ec))
      if (e.is_regular_file(ec)) s.bytes_on_disk += e.file_size(ec);
    s.vector_backend = s.faces > Library::kExactLimit ? "hnsw" : "exact";
    return s;
  }

  std::optional<LibraryFace> face(std::int64_t id, bool with_embedding) override {
    const std::string q = std::string("SELECT ") + kFaceColumns +
                          ", f.embedding FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = ?";
    auto st = db_->prepare(q.c_str());
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_face(st, with_embedding);
  }

  LibraryImage read_image(sql::Statement& st) {
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
    fs_.bind(1, img.id);
    while (fs_.step()) img.faces.push_back(read_face(fs_, false));
    return img;
  }

  std::optional<LibraryImage> image(std::int64_t id) override {
    auto st = db_->prepare("SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, '') "
                           "FROM images WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_image(st);
  }

  void for_each_face(const std::function<bool(const LibraryFace&)>& visit) override {
    const std::string q = std::string("SELECT ") + kFaceColumns +
                          ", f.embedding FROM faces f JOIN images i ON i.id = f.image_id ORDER BY f.id";
    auto st = db_->prepare(q.c_str());
    while (st.step())
      if (!visit(read_face(st, true))) break;
  }

  void for_each_image(const std::function<bool(const LibraryImage&)>& visit) override {
    auto st = db_->prepare("SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, '') "
                           "FROM images ORDER BY path");
    while (st.step())
      if (!visit(read_image(st))) break;
  }

  size_t forget(const std::vector<fs::path>& paths) override {
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

 private:
  fs::path dir_;
  std::unique_ptr<sql::Database> db_;
  std::shared_ptr<VectorCache> vectors_ = std::make_shared<VectorCache>();
  std::int64_t counted_generation_ = -1;
  size_t counted_faces_ = 0;
  std::optional<sql::Transaction> tx_;
};

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const fs::path& dir, bool create) {
  return std::make_unique<SqliteStorage>(dir, create);
}

}  // namespace facesearch
