// The embedded backend's catalog: SQLite (WAL) in one directory. It is also the VectorSource of the local searcher.
#include "library/sqlite/sqlite_catalog.hpp"

#include <optional>

#include <unistd.h>

#include "library/sqlite/sqlite_schema.hpp"
#include "vector/vector_file.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

// The embeddings file a snapshot names is gone: a compaction replaced it after the snapshot began.
struct RowsFileGone : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using sqlite_backend::meta_get;
using sqlite_backend::meta_set;

// Since schema 7 a face row's embedding column is empty: its vector is a row of the embeddings file. Bound as a
// zero-length blob (a null pointer would bind NULL).
const std::uint8_t kNoBlob = 0;

std::span<const std::uint8_t> bytes_of_row(const StoredRows& rows, std::size_t row) {
  return {reinterpret_cast<const std::uint8_t*>(rows.halves(row)), 2 * static_cast<std::size_t>(rows.dim())};
}

// Columns: f.id, f.image_id, i.path, i.width, i.height, i.format, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks,
// f.first_ms, f.last_ms, f.best_ms, f.yaw, f.pitch, f.roll, f.sharpness
constexpr const char* kFaceColumns =
    "f.id, f.image_id, i.path, i.width, i.height, i.format, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks, "
    "f.first_ms, f.last_ms, f.best_ms, f.yaw, f.pitch, f.roll, f.sharpness";

LibraryFace read_face(sql::Statement& st) {
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
    // 32 KiB pages: chosen when a face row held its ~1 KB embedding (4 KiB pages wasted ~20% then). page_size only
    // takes effect on a new, empty database. With such pages SQLite's default checkpoint (1000 pages) lets the WAL
    // grow to 32 MB and keeps it at that size: checkpoint at 8 MiB and truncate the WAL back to 8 MiB.
    db_->exec("PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
              "PRAGMA wal_autocheckpoint=256; PRAGMA journal_size_limit=8388608;");
    sqlite_backend::migrate(*db_, dir_.string());
    if (meta_get(*db_, "rows_file").empty()) move_embeddings_out();
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
    // The next pack may have another dimension: its rows start a new file.
    start_rows_file(meta_int("rows_file") + 1);
    tx.commit();
    remove_old_rows_files();
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

  void begin() override {
    tx_.emplace(*db_);
    copies_.reset();
  }
  void commit() override {
    if (copies_) finish_rows(copies_->pending);  // one fdatasync for all the copies of the transaction
    copies_.reset();
    if (tx_) tx_->commit();
    tx_.reset();
  }
  void rollback() override {
    copies_.reset();  // rows it wrote lie past the committed count: never read, overwritten by the next writer
    tx_.reset();
  }

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

  // Copies the source's faces, each with a row of its own (rows are in face id order). Inside begin()/commit() the
  // rows of all the copies are synced once, at commit.
  void copy_image(std::int64_t source, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    const bool own_transaction = !tx_;
    if (own_transaction) begin();
    db_->prepare(
           "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, "
           "indexed_at) SELECT ?, ?, ?, hash, status, error, width, height, format, face_count, ? FROM images "
           "WHERE id = ?")
        .bind(1, path.string()).bind(2, size).bind(3, mtime).bind(4, now_seconds()).bind(5, source)
        .run();
    const std::int64_t new_id = db_->last_insert_id();
    if (!copies_) copies_.emplace(CopyRows{start_rows(), committed_rows(false), {}});
    auto faces = db_->prepare("SELECT id FROM faces WHERE image_id = ? ORDER BY id");
    faces.bind(1, source);
    auto copy = db_->prepare(
        "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
        "yaw, pitch, roll, sharpness) "
        "SELECT ?, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
        "yaw, pitch, roll, sharpness FROM faces WHERE id = ?");
    const StoredRows* rows = copies_->committed.get();
    while (faces.step()) {
      FaceId from = faces.i64(0);
      copy.bind(1, new_id).bind(2, from).run();
      copy.reset();
      const FaceId to = db_->last_insert_id();
      // A copy of a copy made in this transaction: its row is not committed yet, the original's is.
      if (auto it = copies_->original.find(from); it != copies_->original.end()) from = it->second;
      if (auto row = find_row(rows, from)) {
        append_row(copies_->pending, to, bytes_of_row(*rows, *row));
        copies_->original.emplace(to, from);
      }
    }
    if (own_transaction) commit();
  }

  void delete_image(std::int64_t id) override { db_->prepare("DELETE FROM images WHERE id = ?").bind(1, id).run(); }

  void write_images(const std::vector<ImageRecord>& batch) override {
    if (batch.empty()) return;
    sql::Transaction tx(*db_);
    auto del = db_->prepare("DELETE FROM images WHERE path = ?");
    auto ins = db_->prepare(
        "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, indexed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    PendingRows pending = start_rows();
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
        ins_face.bind_blob(7, lm.data(), sizeof(lm)).bind_blob(8, &kNoBlob, 0);
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
        append_row(pending, db_->last_insert_id(), emb);
      }
    }
    finish_rows(pending);
    tx.commit();
  }

  size_t face_count() override {
    auto st = db_->prepare("SELECT count(*) FROM faces");
    st.step();
    return static_cast<size_t>(st.i64(0));
  }

  // ---- VectorSource ----
  // A snapshot that names an embeddings file a compaction has just replaced and removed is taken again.
  void read_snapshot(const std::function<void()>& read) override {
    for (int attempt = 1;; ++attempt) {
      db_->exec("BEGIN");
      try {
        read();
      } catch (const RowsFileGone&) {
        db_->exec("ROLLBACK");
        if (attempt < 3) continue;
        throw;
      } catch (...) {
        db_->exec("ROLLBACK");
        throw;
      }
      db_->exec("COMMIT");
      return;
    }
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

  StoredRowsView stored_rows(bool populate) override {
    return {committed_rows(populate), meta_int("rows_file"), meta_int("rows_log_seq")};
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
      if (st.step()) out.push_back(to_match(read_face(st), n.similarity));
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
    std::optional<LibraryFace> f;
    in_snapshot([&] {
      const std::string q = std::string("SELECT ") + kFaceColumns +
                            " FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = ?";
      auto st = db_->prepare(q.c_str());
      st.bind(1, id);
      if (!st.step()) return;
      f = read_face(st);
      if (with_embedding) {
        const auto rows = committed_rows(false);
        if (auto row = find_row(rows.get(), id)) f->face.embedding = decode_embedding(bytes_of_row(*rows, *row));
      }
    });
    return f;
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
    while (fs_.step()) img.faces.push_back(read_face(fs_));
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
    in_snapshot([&] {
      const auto rows = committed_rows(true);
      const std::string q = std::string("SELECT ") + kFaceColumns +
                            " FROM faces f JOIN images i ON i.id = f.image_id ORDER BY f.id";
      auto st = db_->prepare(q.c_str());
      std::size_t row = 0;
      while (st.step()) {
        LibraryFace f = read_face(st);
        if (next_row(rows.get(), row, f.id)) f.face.embedding = decode_embedding(bytes_of_row(*rows, row));
        if (!visit(f)) break;
      }
    });
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
    compact_rows_if_sparse();
    return removed;
  }

  void after_index() override { compact_rows_if_sparse(); }

 private:
  // ---- the embeddings file (vector/vector_file.hpp) ----
  // meta: rows_file (N: the file is embeddings-N.f16), rows (committed rows), rows_log_seq (the face_log entry
  // before which every removed face's row was left out of the file when it was started).
  fs::path rows_path(std::int64_t file) const { return dir_ / ("embeddings-" + std::to_string(file) + ".f16"); }

  std::int64_t meta_int(const char* key) {
    const std::string v = meta_get(*db_, key);
    return v.empty() ? 0 : std::stoll(v);
  }

  std::int64_t last_log_seq() {
    auto seq = db_->prepare("SELECT coalesce(max(seq), 0) FROM face_log");
    seq.step();
    return seq.i64(0);
  }

  // In a write transaction: faces from now on go to a new, empty file number `file` (a leftover of that number, from
  // a rewrite that never committed, is removed).
  void start_rows_file(std::int64_t file) {
    fs::remove(rows_path(file));
    meta_set(*db_, "rows_file", std::to_string(file));
    meta_set(*db_, "rows", "0");
    meta_set(*db_, "rows_log_seq", std::to_string(last_log_seq()));
  }

  // The committed rows as of the current transaction; nullptr when there are none and no file yet.
  std::shared_ptr<const StoredRows> committed_rows(bool populate) {
    const auto count = static_cast<std::size_t>(meta_int("rows"));
    const fs::path file = rows_path(meta_int("rows_file"));
    if (count == 0 && !fs::exists(file)) return nullptr;
    auto rows = StoredRows::map(file, dim(), count, populate);
    if (rows) return rows;
    const std::string why = "the library's embeddings file " + file.string() + " is missing or damaged (" +
                            std::to_string(count) + " rows expected); `facesearch index --reembed` rebuilds it";
    if (!fs::exists(file)) throw RowsFileGone(why);
    throw std::runtime_error(why);
  }

  // The row of `id`, if it has one (a face stored without a vector has none; so has every face of an empty store).
  static std::optional<std::size_t> find_row(const StoredRows* rows, FaceId id) {
    return rows ? rows->find(id) : std::nullopt;
  }

  // Moves `row` to the row of `id` and says whether there is one (walks over faces in id order, the rows' order).
  // A face stored without a vector has no row: it reads back with an empty embedding and is not searchable.
  static bool next_row(const StoredRows* rows, std::size_t& row, FaceId id) {
    const std::size_t count = rows ? rows->count() : 0;
    while (row < count && rows->id(row) < id) ++row;
    return row < count && rows->id(row) == id;
  }

  // Runs `read` in one read transaction, or in the transaction already open.
  void in_snapshot(const std::function<void()>& read) {
    if (sqlite3_get_autocommit(db_->handle()) == 0) read();
    else read_snapshot(read);
  }

  // Rows written in the open write transaction: synced, then counted in meta, before it commits.
  struct PendingRows {
    std::size_t next = 0;
    fs::path file;
    std::unique_ptr<StoredRowsWriter> out;
  };

  PendingRows start_rows() {
    PendingRows p;
    p.next = static_cast<std::size_t>(meta_int("rows"));
    p.file = rows_path(meta_int("rows_file"));
    return p;
  }

  void append_row(PendingRows& p, FaceId id, std::span<const std::uint8_t> halves) {
    if (halves.empty()) return;  // a face without a vector gets no row
    if (!p.out) p.out = std::make_unique<StoredRowsWriter>(p.file, dim());
    p.out->write(p.next++, id, halves);
  }

  void finish_rows(PendingRows& p) {
    if (!p.out) return;
    p.out->sync();
    meta_set(*db_, "rows", std::to_string(p.next));
  }

  // Rewrites the embeddings file without its dead rows once they are a third of it (and at least 1000), so that
  // forgotten folders give their space back and index/forget cycles cannot grow the file without bound. The new
  // file gets the next number: a graph over the old rows is built again.
  void compact_rows_if_sparse() {
    if (read_only_) return;
    auto sparse = [&] {
      const std::int64_t rows = meta_int("rows"), dead = rows - static_cast<std::int64_t>(face_count());
      return dead >= 1000 && dead * 3 >= rows;
    };
    if (!sparse()) return;
    {
      sql::Transaction tx(*db_);
      if (!sparse()) return;  // another process did it meanwhile
      const auto old_rows = committed_rows(false);
      start_rows_file(meta_int("rows_file") + 1);
      PendingRows pending = start_rows();
      auto st = db_->prepare("SELECT id FROM faces ORDER BY id");
      std::size_t row = 0;
      while (st.step()) {
        const FaceId id = st.i64(0);
        if (next_row(old_rows.get(), row, id)) append_row(pending, id, bytes_of_row(*old_rows, row));
      }
      finish_rows(pending);
      tx.commit();
    }
    remove_old_rows_files();
  }

  // Files of earlier numbers (left by clear() and compaction). A reader whose snapshot still names one takes a new
  // snapshot (read_snapshot); one that has mapped it keeps its mapping.
  void remove_old_rows_files() {
    const std::string current = rows_path(meta_int("rows_file")).filename().string();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with("embeddings-") && name.ends_with(".f16") && name != current)
        fs::remove(e.path(), ec);
    }
  }

  // Schema 7: the embeddings leave the catalog for embeddings-1.f16, in one transaction (a crash before it commits
  // leaves the blobs, and the next open does it again). The caches of earlier versions go with them.
  void move_embeddings_out() {
    std::size_t moved = 0;
    {
      sql::Transaction tx(*db_);
      if (!meta_get(*db_, "rows_file").empty()) return;  // another process did it meanwhile
      start_rows_file(1);
      PendingRows pending = start_rows();
      auto st = db_->prepare("SELECT id, embedding FROM faces ORDER BY id");
      const auto row_bytes = 2 * static_cast<std::size_t>(dim());
      while (st.step())
        if (st.blob(1).size() == row_bytes) append_row(pending, st.i64(0), st.blob(1));  // else no vector: no row
      finish_rows(pending);
      moved = pending.next;
      db_->exec("UPDATE faces SET embedding = x''");
      tx.commit();
    }
    std::error_code ec;
    for (const char* old : {"vectors.f16", "vectors.hnsw", "vectors.hnsw.json"}) fs::remove(dir_ / old, ec);
    if (moved > 0) {
      try {
        db_->exec("VACUUM");  // gives the blobs' pages back to the file system
      } catch (const std::exception&) {
      }
    }
  }

  fs::path dir_;
  bool read_only_ = false;
  std::unique_ptr<sql::Database> db_;
  std::optional<sql::Transaction> tx_;
  // The rows copy_image has added in the open begin()/commit() transaction, and which committed face each copies.
  struct CopyRows {
    PendingRows pending;
    std::shared_ptr<const StoredRows> committed;
    std::unordered_map<FaceId, FaceId> original;
  };
  std::optional<CopyRows> copies_;
};

}  // namespace

std::unique_ptr<SqliteCatalog> open_sqlite_catalog(const fs::path& dir, bool create) {
  return std::make_unique<SqliteStorage>(dir, create);
}

}  // namespace facesearch
