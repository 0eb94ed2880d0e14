// The embedded backend's catalog: SQLite (WAL) in one directory. It is also the VectorSource of the local searcher.
#include "library/sqlite/sqlite_catalog.hpp"

#include <optional>

#include <unistd.h>

#include "library/sqlite/sqlite_schema.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

using sqlite_backend::meta_get;
using sqlite_backend::meta_set;

// Columns: f.id, f.image_id, i.path, i.width, i.height, i.format, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks,
// f.first_ms, f.last_ms, f.best_ms, f.yaw, f.pitch, f.roll, f.sharpness[, f.embedding]
constexpr const char* kFaceColumns =
    "f.id, f.image_id, i.path, i.width, i.height, i.format, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks, "
    "f.first_ms, f.last_ms, f.best_ms, f.yaw, f.pitch, f.roll, f.sharpness";

LibraryFace read_face(sql::Statement& st, bool with_embedding) {
  LibraryFace f;
  f.id = st.i64(0);
  f.image_id = st.i64(1);
  f.path = st.text(2);
  f.width = static_cast<int>(st.i64(3));
  f.height = static_cast<int>(st.i64(4));
  f.kind = media_kind_of(st.text(5));
  f.face.box = {st.i64(6) / 10.f, st.i64(7) / 10.f, st.i64(8) / 10.f, st.i64(9) / 10.f};
  f.face.score = st.i64(10) / 10000.f;
  f.face.landmarks = decode_landmarks(f.face.box, st.blob(11));
  f.face.time = {st.i64(12), st.i64(13), st.i64(14)};
  if (!st.is_null(15))
    f.face.pose = FacePose{angle_from_tenths(st.i64(15)), angle_from_tenths(st.i64(16)), angle_from_tenths(st.i64(17))};
  if (!st.is_null(18)) f.face.sharpness = static_cast<float>(st.f64(18));
  if (with_embedding) f.face.embedding = decode_embedding(st.blob(19));
  return f;
}

class SqliteStorage final : public SqliteCatalog {
 public:
  SqliteStorage(const fs::path& dir, bool create) : dir_(absolute_path(dir)) {
    if (!fs::exists(dir_ / "catalog.sqlite")) {
      if (!create) throw std::runtime_error("no face library in " + dir_.string() + " (run `facesearch index` first)");
      fs::create_directories(dir_);
    }
    // A library on read-only media (or a folder this user cannot write) still answers status and searches.
    read_only_ = !create && ::access(dir_.c_str(), W_OK) != 0;
    db_ = std::make_unique<sql::Database>(dir_ / "catalog.sqlite", read_only_);
    if (read_only_) {
      if (sqlite_backend::current_version(*db_) != sqlite_backend::schema_version())
        throw std::runtime_error("the library " + dir_.string() + " is read-only and must be upgraded first (open it "
                                 "once where it can be written)");
      return;
    }
    // A face row is ~1.07 KB: 32 KiB pages hold 30 of them with ~2% slack (4 KiB pages would waste ~20%).
    // page_size only takes effect on a new, empty database.
    db_->exec("PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    sqlite_backend::migrate(*db_, dir_.string());
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
           "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
           "yaw, pitch, roll, sharpness) "
           "SELECT ?, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
           "yaw, pitch, roll, sharpness FROM faces "
           "WHERE image_id = ? ORDER BY id")
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
        "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
        "yaw, pitch, roll, sharpness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const ImageRecord& r : batch) {
      del.bind(1, r.path.string()).run();
      del.reset();
      const ImageFaces* img = r.faces ? &*r.faces : nullptr;
      ins.bind(1, r.path.string()).bind(2, r.size).bind(3, r.mtime).bind(4, r.hash);
      ins.bind(5, std::string(img ? "ok" : "error"));
      if (img) ins.bind_null(6); else ins.bind(6, r.error);
      ins.bind(7, img ? img->width : 0).bind(8, img ? img->height : 0);
      ins.bind(9, img ? media_format_name(*img) : std::string());
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
        ins_face.bind(9, f.time.first_ms).bind(10, f.time.last_ms).bind(11, f.time.best_ms);
        if (f.pose) {
          ins_face.bind(12, angle_tenths(f.pose->yaw)).bind(13, angle_tenths(f.pose->pitch));
          ins_face.bind(14, angle_tenths(f.pose->roll));
        } else {
          ins_face.bind_null(12).bind_null(13).bind_null(14);
        }
        if (f.sharpness) ins_face.bind(15, static_cast<double>(*f.sharpness)); else ins_face.bind_null(15);
        ins_face.run();
        ins_face.reset();
      }
    }
    tx.commit();
  }

  size_t face_count() override {
    auto st = db_->prepare("SELECT count(*) FROM faces");
    st.step();
    return static_cast<size_t>(st.i64(0));
  }

  // ---- VectorSource ----
  void read_snapshot(const std::function<void()>& read) override {
    db_->exec("BEGIN");
    try {
      read();
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
    db_->exec("COMMIT");
  }

  std::int64_t generation() override { return std::stoll(meta_get(*db_, "generation")); }

  VectorPosition position() override {
    VectorPosition p;
    p.generation = generation();
    auto seq = db_->prepare("SELECT coalesce(max(seq), 0) FROM face_log");
    seq.step();
    p.log_seq = seq.i64(0);
    auto mx = db_->prepare("SELECT coalesce(max(id), 0) FROM faces");
    mx.step();
    p.max_face_id = mx.i64(0);
    return p;
  }

  void vectors_after(FaceId after,
                     const std::function<void(FaceId, std::span<const std::uint8_t>)>& visit) override {
    auto st = db_->prepare("SELECT id, embedding FROM faces WHERE id > ? ORDER BY id");
    st.bind(1, after);
    while (st.step()) visit(st.i64(0), st.blob(1));
  }

  void removed_after(std::int64_t seq, const std::function<void(FaceId)>& visit) override {
    auto st = db_->prepare("SELECT face_id FROM face_log WHERE seq > ?");
    st.bind(1, seq);
    while (st.step()) visit(st.i64(0));
  }

  std::vector<Match> matches(const std::vector<Neighbor>& found) override {
    std::vector<Match> out;
    const std::string q = std::string("SELECT ") + kFaceColumns +
                          " FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = ?";
    auto st = db_->prepare(q.c_str());
    for (const auto& n : found) {
      st.bind(1, n.id);
      if (st.step()) out.push_back(to_match(read_face(st, false), n.similarity));
      st.reset();
    }
    sort_like_scan(out);
    return out;
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
    img.size = st.i64(7);
    img.mtime_ns = st.i64(8);
    const std::string q = std::string("SELECT ") + kFaceColumns +
                          " FROM faces f JOIN images i ON i.id = f.image_id WHERE f.image_id = ? ORDER BY f.x1, f.id";
    auto fs_ = db_->prepare(q.c_str());
    fs_.bind(1, img.id);
    while (fs_.step()) img.faces.push_back(read_face(fs_, false));
    return img;
  }

  std::optional<LibraryImage> image(std::int64_t id) override {
    auto st = db_->prepare("SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, ''), size, mtime_ns "
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
    auto st = db_->prepare("SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, ''), size, mtime_ns "
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
  bool read_only_ = false;
  std::unique_ptr<sql::Database> db_;
  std::optional<sql::Transaction> tx_;
};

}  // namespace

std::unique_ptr<SqliteCatalog> open_sqlite_catalog(const fs::path& dir, bool create) {
  return std::make_unique<SqliteStorage>(dir, create);
}

}  // namespace facesearch
