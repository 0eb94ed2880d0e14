// The PostgreSQL backend: the catalog in a `facesearch` schema, embeddings as halfvec(D) with an HNSW index
// (halfvec_cosine_ops) from pgvector. libpq with parameterised statements only (binary parameters and results);
// faces are bulk-loaded with binary COPY inside the batch's transaction.
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "library/postgres/pg_catalog.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

using namespace pg;


}  // namespace

LibraryFace read_pg_face(const Result& r, int row, bool with_embedding) {
  LibraryFace f;
  f.id = r.i64(row, 0);
  f.image_id = r.i64(row, 1);
  f.path = r.path(row, 2);
  f.width = static_cast<int>(r.i64(row, 3));
  f.height = static_cast<int>(r.i64(row, 4));
  f.kind = media_kind_of(r.text(row, 5));
  f.face.box = {r.i64(row, 6) / 10.f, r.i64(row, 7) / 10.f, r.i64(row, 8) / 10.f, r.i64(row, 9) / 10.f};
  f.face.score = r.i64(row, 10) / 10000.f;
  f.face.landmarks = decode_landmarks(f.face.box, r.bytes(row, 11));
  f.face.time = {r.i64(row, 12), r.i64(row, 13), r.i64(row, 14)};
  if (!r.null(row, 15))
    f.face.pose = FacePose{angle_from_tenths(r.i64(row, 15)), angle_from_tenths(r.i64(row, 16)),
                           angle_from_tenths(r.i64(row, 17))};
  if (!r.null(row, 18)) f.face.sharpness = static_cast<float>(r.f64(row, 18));
  if (with_embedding) f.face.embedding = r.halfvec(row, kPgFaceColumnCount);
  return f;
}

namespace {

LibraryFace read_face(const Result& r, int row, bool with_embedding) { return read_pg_face(r, row, with_embedding); }

// The COPY fields yaw, pitch, roll (smallint, tenths of a degree) and sharpness (float8); NULL (length -1) when
// the face was not measured.
void put_pose_and_sharpness(std::string& copy, const Face& f) {
  for (int i = 0; i < 3; ++i) {
    if (!f.pose) {
      put_be32(copy, 0xFFFFFFFFu);
      continue;
    }
    const float angle = i == 0 ? f.pose->yaw : i == 1 ? f.pose->pitch : f.pose->roll;
    put_be32(copy, 2);
    put_be16(copy, static_cast<std::uint16_t>(static_cast<std::int16_t>(angle_tenths(angle))));
  }
  if (!f.sharpness) {
    put_be32(copy, 0xFFFFFFFFu);
    return;
  }
  const double v = *f.sharpness;
  std::uint64_t bits;
  std::memcpy(&bits, &v, 8);
  put_be32(copy, 8);
  put_be64(copy, bits);
}

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(Connection& db, bool create) : db_(db) { migrate_pg_catalog(db_, create); }

  std::string location() const override { return db_.where(); }

  std::string pack() override { return meta("pack"); }
  int dim() override {
    const std::string d = meta("dim");
    return d.empty() ? 512 : std::stoi(d);
  }

  std::string claim_pack(const std::string& fingerprint, int dim) override {
    Tx tx(db_);
    db_.query("SELECT pg_advisory_xact_lock($1)", Params().i64(kPgLockKey));
    std::string have = meta("pack");
    if (have.empty()) {
      db_.query("INSERT INTO meta(key, value) VALUES ('pack', $1), ('dim', $2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                Params().text(fingerprint).text(std::to_string(dim)));
      // A type modifier and an index cannot be bound as parameters; `dim` is the model's, never user text.
      const std::string alter =
          "ALTER TABLE faces ALTER COLUMN embedding TYPE halfvec(" + std::to_string(dim) + ")";
      db_.exec(alter.c_str());
      have = fingerprint;
    }
    tx.commit();
    return have;
  }

  void clear() override {
    Tx tx(db_);
    db_.query("SELECT pg_advisory_xact_lock($1)", Params().i64(kPgLockKey));
    db_.exec("DROP INDEX IF EXISTS faces_embedding");
    db_.exec("TRUNCATE faces, images");
    db_.exec("DELETE FROM meta WHERE key IN ('pack', 'dim')");
    tx.commit();
  }

  std::unordered_map<std::string, StoredImage> images_under(const fs::path& root) override {
    std::unordered_map<std::string, StoredImage> known;
    auto [lo, hi] = prefix_range(path_to_text(root.string()));
    Result r = db_.query(
        "SELECT id, path, size, mtime_ns, hash, status FROM images WHERE path = $1 OR (path >= $2 AND path < $3)",
        Params().path(root.string()).text(lo).text(hi));
    for (int i = 0; i < r.rows(); ++i)
      known[r.path(i, 1)] = {r.i64(i, 0), r.i64(i, 2), r.i64(i, 3), r.text(i, 4), r.text(i, 5)};
    return known;
  }

  void begin() override { db_.exec("BEGIN"); }
  void commit() override { db_.exec("COMMIT"); }
  void rollback() override { db_.exec("ROLLBACK"); }

  void move_image(std::int64_t id, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    db_.query("UPDATE images SET path = $1, size = $2, mtime_ns = $3 WHERE id = $4",
              Params().path(path.string()).i64(size).i64(mtime).i64(id));
  }

  std::optional<std::int64_t> find_ok_image_by_hash(const std::string& hash) override {
    Result r = db_.query("SELECT id FROM images WHERE hash = $1 AND status = 'ok' LIMIT 1", Params().text(hash));
    if (r.rows() == 0) return std::nullopt;
    return r.i64(0, 0);
  }

  void copy_image(std::int64_t source, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    Result r = db_.query(
        "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, indexed_at) "
        "SELECT $1, $2, $3, hash, status, error, width, height, format, face_count, $4 FROM images WHERE id = $5 "
        "RETURNING id",
        Params().path(path.string()).i64(size).i64(mtime).i64(now_seconds()).i64(source));
    if (r.rows() == 0) return;
    db_.query(
        "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
        "yaw, pitch, roll, sharpness) "
        "SELECT $1, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, "
        "yaw, pitch, roll, sharpness FROM faces "
        "WHERE image_id = $2 ORDER BY id",
        Params().i64(r.i64(0, 0)).i64(source));
  }

  void delete_image(std::int64_t id) override { db_.query("DELETE FROM images WHERE id = $1", Params().i64(id)); }

  void write_images(const std::vector<ImageRecord>& batch) override {
    if (batch.empty()) return;
    Tx tx(db_);
    // Binary COPY: signature, flags, header extension length; then one tuple per face; then -1.
    std::string copy("PGCOPY\n\xff\r\n\0", 11);
    put_be32(copy, 0);
    put_be32(copy, 0);
    size_t faces = 0;
    for (const ImageRecord& r : batch) {
      db_.query("DELETE FROM images WHERE path = $1", Params().path(r.path.string()));
      const ImageFaces* img = r.faces ? &*r.faces : nullptr;
      Params p;
      p.path(r.path.string()).i64(r.size).i64(r.mtime).text(r.hash).text(img ? "ok" : "error");
      if (img) p.null(25); else p.text(r.error);
      p.i64(img ? img->width : 0).i64(img ? img->height : 0).text(img ? media_format_name(*img) : std::string());
      p.i64(img ? static_cast<std::int64_t>(img->faces.size()) : 0).i64(now_seconds());
      Result ins = db_.query(
          "INSERT INTO images(path, size, mtime_ns, hash, status, error, width, height, format, face_count, "
          "indexed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
          p);
      if (!img) continue;
      const std::int64_t image_id = ins.i64(0, 0);
      for (const Face& f : img->faces) {
        put_be16(copy, 15);  // fields per tuple
        put_be32(copy, 8);
        put_be64(copy, static_cast<std::uint64_t>(image_id));
        for (std::int64_t v : {box_tenths(f.box.x1), box_tenths(f.box.y1), box_tenths(f.box.x2),
                               box_tenths(f.box.y2), score_units(f.score)}) {
          put_be32(copy, 4);
          put_be32(copy, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
        }
        const auto lm = encode_landmarks(f.box, f.landmarks);
        put_be32(copy, sizeof(lm));
        copy.append(reinterpret_cast<const char*>(lm.data()), sizeof(lm));
        put_be32(copy, static_cast<std::uint32_t>(4 + 2 * f.embedding.size()));
        put_halfvec(copy, f.embedding);
        for (std::int64_t ms : {f.time.first_ms, f.time.last_ms, f.time.best_ms}) {
          put_be32(copy, 8);
          put_be64(copy, static_cast<std::uint64_t>(ms));
        }
        put_pose_and_sharpness(copy, f);
        ++faces;
      }
    }
    put_be16(copy, 0xFFFF);
    if (faces)
      db_.copy_in(
          "COPY faces(image_id, x1, y1, x2, y2, score, landmarks, embedding, first_ms, last_ms, best_ms, yaw, pitch, "
          "roll, sharpness) FROM STDIN (FORMAT binary)",
          copy);
    tx.commit();
  }

  size_t face_count() override {
    return static_cast<size_t>(db_.query("SELECT count(*) FROM faces").i64(0, 0));
  }

  LibraryStatus status() override {
    LibraryStatus s;
    s.dir = db_.where();
    s.pack = pack();
    Result r = db_.query(
        "SELECT count(*), count(*) FILTER (WHERE status = 'ok' AND face_count = 0), "
        "count(*) FILTER (WHERE status = 'error'), (SELECT count(*) FROM faces), "
        "pg_total_relation_size('facesearch.images') + pg_total_relation_size('facesearch.faces') + "
        "pg_total_relation_size('facesearch.meta') FROM images");
    s.images = static_cast<size_t>(r.i64(0, 0));
    s.zero_face_images = static_cast<size_t>(r.i64(0, 1));
    s.failed_images = static_cast<size_t>(r.i64(0, 2));
    s.faces = static_cast<size_t>(r.i64(0, 3));
    s.bytes_on_disk = static_cast<std::uintmax_t>(r.i64(0, 4));
    return s;
  }

  std::optional<LibraryFace> face(std::int64_t id, bool with_embedding) override {
    const std::string q = std::string("SELECT ") + kPgFaceColumns +
                          ", f.embedding FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = $1";
    Result r = db_.query(q.c_str(), Params().i64(id));
    if (r.rows() == 0) return std::nullopt;
    return read_face(r, 0, with_embedding);
  }

  std::optional<LibraryImage> image(std::int64_t id) override {
    Result r = db_.query(
        "SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, ''), size, mtime_ns FROM images WHERE id = $1",
        Params().i64(id));
    if (r.rows() == 0) return std::nullopt;
    return read_image(r, 0);
  }

  void for_each_face(const std::function<bool(const LibraryFace&)>& visit) override {
    // Pages by id in one snapshot: a million faces never sit in memory at once.
    Tx tx(db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const std::string q = std::string("SELECT ") + kPgFaceColumns +
                          ", f.embedding FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id > $1 "
                          "ORDER BY f.id LIMIT 2000";
    std::int64_t after = 0;
    for (;;) {
      Result r = db_.query(q.c_str(), Params().i64(after));
      if (r.rows() == 0) break;
      for (int i = 0; i < r.rows(); ++i) {
        LibraryFace f = read_face(r, i, true);
        after = f.id;
        if (!visit(f)) return;
      }
    }
  }

  void for_each_image(const std::function<bool(const LibraryImage&)>& visit) override {
    Tx tx(db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::string after;  // paths are never empty: "" comes before all of them
    for (;;) {
      Result r = db_.query(
          "SELECT id, path, width, height, coalesce(format, ''), status, coalesce(error, ''), size, mtime_ns FROM images "
          "WHERE path > $1 ORDER BY path LIMIT 500",
          Params().path(after));
      if (r.rows() == 0) break;
      for (int i = 0; i < r.rows(); ++i) {
        LibraryImage img = read_image(r, i);
        after = img.path.string();
        if (!visit(img)) return;
      }
    }
  }

  size_t forget(const std::vector<fs::path>& paths) override {
    Tx tx(db_);
    size_t removed = 0;
    for (const auto& p : paths) {
      const fs::path abs = absolute_path(p);
      auto [lo, hi] = prefix_range(path_to_text(abs.string()));
      Result r = db_.query("DELETE FROM images WHERE path = $1 OR (path >= $2 AND path < $3)",
                           Params().path(abs.string()).text(lo).text(hi));
      removed += static_cast<size_t>(std::stoull(r.affected()));
    }
    tx.commit();
    return removed;
  }

 private:
  std::string meta(const char* key) { return pg_meta(db_, key); }

  LibraryImage read_image(const Result& r, int row) {
    LibraryImage img;
    img.id = r.i64(row, 0);
    img.path = r.path(row, 1);
    img.width = static_cast<int>(r.i64(row, 2));
    img.height = static_cast<int>(r.i64(row, 3));
    img.format = r.text(row, 4);
    img.status = r.text(row, 5);
    img.error = r.text(row, 6);
    img.size = r.i64(row, 7);
    img.mtime_ns = r.i64(row, 8);
    const std::string q = std::string("SELECT ") + kPgFaceColumns +
                          " FROM faces f JOIN images i ON i.id = f.image_id WHERE f.image_id = $1 ORDER BY f.x1, f.id";
    Result faces = db_.query(q.c_str(), Params().i64(img.id));
    for (int i = 0; i < faces.rows(); ++i) img.faces.push_back(read_face(faces, i, false));
    return img;
  }

  Connection& db_;
};

}  // namespace

std::unique_ptr<Storage> open_pg_catalog(Connection& db, bool create) {
  return std::make_unique<PostgresStorage>(db, create);
}

}  // namespace facesearch
