// Migrations of the embedded catalog. Entry i brings a catalog from version i to i + 1; never edit an entry that
// has shipped, append one. Catalogs made before the version table (schema at cf5d417) recorded
// meta.schema_version = 1 and may already hold the people tables, hence IF NOT EXISTS in the first two entries.
#include "library/sqlite/sqlite_schema.hpp"

#include <iterator>
#include <stdexcept>

namespace facesearch::sqlite_backend {

namespace {

const char* const kMigrations[] = {
    // 1: the catalog.
    R"sql(
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
  embedding BLOB NOT NULL);  -- dim float16, L2-normalised (empty since schema 7: see the embeddings file)
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
INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', '0');
)sql",
    // 2: persons and the user's decisions (no foreign keys to faces: face ids are checked through the Library API,
    // so the same logic works whatever backend holds the faces).
    R"sql(
CREATE TABLE IF NOT EXISTS persons(
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: old ids in scripts and merge records stay unambiguous
  name TEXT,
  created INTEGER NOT NULL,
  cover_face INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS persons_name ON persons(name COLLATE NOCASE) WHERE name IS NOT NULL;
CREATE TABLE IF NOT EXISTS face_person(
  face_id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL,
  assigned_by TEXT NOT NULL CHECK (assigned_by IN ('auto', 'user')),
  path TEXT NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL);
CREATE INDEX IF NOT EXISTS face_person_person ON face_person(person_id);
CREATE TABLE IF NOT EXISTS person_rejects(
  face_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  path TEXT NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
  PRIMARY KEY (face_id, person_id));
CREATE TABLE IF NOT EXISTS person_merges(from_id INTEGER PRIMARY KEY, into_id INTEGER NOT NULL, merged INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS people_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO people_meta(key, value) VALUES ('generation', 0);
)sql",
    // 3: where a face is in its file (Face::time, milliseconds; 0 for a still photo).
    R"sql(
ALTER TABLE faces ADD COLUMN first_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE faces ADD COLUMN last_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE faces ADD COLUMN best_ms INTEGER NOT NULL DEFAULT 0;
)sql",
    // 4: the face's pose (yaw, pitch, roll in tenths of a degree) and the sharpness of its aligned crop
    // (align/face_quality.hpp); NULL for faces indexed before they were measured.
    R"sql(
ALTER TABLE faces ADD COLUMN yaw INTEGER;
ALTER TABLE faces ADD COLUMN pitch INTEGER;
ALTER TABLE faces ADD COLUMN roll INTEGER;
ALTER TABLE faces ADD COLUMN sharpness REAL;
)sql",
    // Hidden persons (`people hide`): left out of `people list` and the page's people view, faces still searchable.
    R"sql(
ALTER TABLE persons ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
)sql",
    // "Not the same person": a rejected merge suggestion (people suggest), low_id < high_id.
    R"sql(
CREATE TABLE IF NOT EXISTS person_not_same(low_id INTEGER NOT NULL, high_id INTEGER NOT NULL, decided INTEGER NOT NULL,
  PRIMARY KEY (low_id, high_id));
)sql",
    // 7: each face's embedding moves to the embeddings file (vector/vector_file.hpp); faces.embedding stays, empty.
    // The catalog's code moves the blobs right after migrating (meta rows_file, rows, rows_log_seq), since SQL
    // cannot write the file. Builds before this one refuse the catalog, which no longer holds their vectors.
    R"sql(
UPDATE meta SET value = value WHERE key = 'generation';
)sql",
};

bool has_table(sql::Database& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, std::string(name));
  return st.step();
}

}  // namespace

int schema_version() { return static_cast<int>(std::size(kMigrations)); }

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

int current_version(sql::Database& db) {
  if (has_table(db, "schema_version")) {
    auto st = db.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
    st.step();
    return static_cast<int>(st.i64(0));
  }
  // Before the version table: meta.schema_version (1 at cf5d417).
  if (!has_table(db, "meta")) return 0;
  const std::string v = meta_get(db, "schema_version");
  return v.empty() ? 0 : std::stoi(v);
}

void migrate(sql::Database& db, const std::string& where) {
  auto too_new = [&](int version) {
    return std::runtime_error("the library in " + where + " was made by a newer facesearch (schema " +
                              std::to_string(version) + ")");
  };
  if (const int v = current_version(db); v > schema_version()) throw too_new(v);
  else if (v == schema_version()) return;
  sql::Transaction tx(db);  // BEGIN IMMEDIATE: another process may be migrating too
  int version = current_version(db);
  if (version > schema_version()) throw too_new(version);
  for (; version < schema_version(); ++version) db.exec(kMigrations[version]);
  db.exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL); DELETE FROM schema_version;");
  db.prepare("INSERT INTO schema_version(version) VALUES (?)").bind(1, schema_version()).run();
  // Older builds read meta.schema_version and refuse a newer catalog instead of writing rows it cannot hold.
  meta_set(db, "schema_version", std::to_string(schema_version()));
  tx.commit();
}

}  // namespace facesearch::sqlite_backend
