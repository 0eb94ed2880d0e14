// Backends' schemas: an embedded catalog made by an older facesearch (schema at cf5d417) is upgraded in place with
// its rows, and Face::time round-trips through both backends (catalog rows, copies, searches).
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <random>

#include "library/backend.hpp"
#include "library/people_store.hpp"
#include "library/sqlite/sqlite_schema.hpp"
#include "test_support.hpp"
#include "vector/kernels.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

// The catalog and people tables exactly as cf5d417 created them.
const char* kOldSchema = R"sql(
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
CREATE TABLE IF NOT EXISTS faces(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  x1 INTEGER NOT NULL, y1 INTEGER NOT NULL, x2 INTEGER NOT NULL, y2 INTEGER NOT NULL,
  score INTEGER NOT NULL,
  landmarks BLOB NOT NULL,
  embedding BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS faces_image ON faces(image_id);
CREATE TABLE IF NOT EXISTS face_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, face_id INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS faces_deleted AFTER DELETE ON faces BEGIN
  INSERT INTO face_log(face_id) VALUES (old.id);
  UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER IF NOT EXISTS faces_inserted AFTER INSERT ON faces BEGIN
  UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1'), ('generation', '0');
CREATE TABLE IF NOT EXISTS persons(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
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
)sql";

std::string fp16_blob_sql(const std::vector<float>& v) {
  std::string hex = "X'";
  for (float x : v) {
    const std::uint16_t h = vector_detail::float_to_half(x);
    char buf[5];
    std::snprintf(buf, sizeof(buf), "%02X%02X", h & 0xFF, h >> 8);  // little-endian, as the catalog stores it
    hex += buf;
  }
  return hex + "'";
}

void sqlite_exec(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::string sqlite_value(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::vector<float> unit(std::vector<float> v) {
  float n = 0;
  for (float x : v) n += x * x;
  for (float& x : v) x /= std::sqrt(n);
  return v;
}

}  // namespace

TEST(StorageSchema, OldEmbeddedCatalogIsUpgradedInPlace) {
  const fs::path dir = fstest::scratch_dir("old-schema") / "lib";
  fs::create_directories(dir);
  const fs::path file = dir / "catalog.sqlite";
  const auto a = unit({1, 0, 0, 0}), b = unit({0.6f, 0.8f, 0, 0});
  std::string rows = kOldSchema;
  rows += "INSERT INTO meta(key, value) VALUES ('pack', 'old@pack'), ('dim', '4');"
          "INSERT INTO images VALUES (1, '/photos/a.jpg', 100, 5, 'hash-a', 'ok', NULL, 640, 480, 'jpeg', 2, 1);"
          "INSERT INTO images VALUES (2, '/photos/bad.jpg', 7, 6, 'hash-bad', 'error', 'broken', 0, 0, NULL, 0, 1);"
          "INSERT INTO faces(image_id, x1, y1, x2, y2, score, landmarks, embedding) VALUES "
          "(1, 100, 200, 1100, 1400, 9000, zeroblob(20), " + fp16_blob_sql(a) + "),"
          "(1, 2000, 200, 2900, 1300, 8000, zeroblob(20), " + fp16_blob_sql(b) + "),"
          "(1, 3000, 200, 3900, 1300, 7000, zeroblob(20), x'');"  // a face stored without a vector
          "INSERT INTO persons(name, created) VALUES ('Ada', 1);"
          "INSERT INTO face_person VALUES (1, 1, 'user', '/photos/a.jpg', 10, 20, 110, 140);";
  sqlite_exec(file, rows);

  Library library(dir.string(), /*create=*/false);
  LibraryStatus s = library.status();
  EXPECT_EQ(s.pack, "old@pack");
  EXPECT_EQ(s.images, 2u);
  EXPECT_EQ(s.failed_images, 1u);
  EXPECT_EQ(s.faces, 3u);
  auto vectorless = library.face(3, /*with_embedding=*/true);
  ASSERT_TRUE(vectorless);
  EXPECT_TRUE(vectorless->face.embedding.empty());
  auto face = library.face(2, /*with_embedding=*/true);
  ASSERT_TRUE(face);
  EXPECT_EQ(face->path, "/photos/a.jpg");
  EXPECT_FLOAT_EQ(face->face.box.x1, 200.f);
  EXPECT_EQ(face->face.time, FaceTime{});
  ASSERT_EQ(face->face.embedding.size(), 4u);
  EXPECT_NEAR(face->face.embedding[1], 0.8f, 1e-3);
  SearchOptions options;
  options.threshold = 0.9f;
  auto found = library.search(a, options);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].face_id, 1);
  people::PeopleSnapshot people = library.people_store().load();
  ASSERT_EQ(people.persons.size(), 1u);
  EXPECT_EQ(people.persons[0].name, "Ada");
  EXPECT_FALSE(people.persons[0].hidden) << "persons made before `people hide` are shown";
  ASSERT_EQ(people.assignments.size(), 1u);
  EXPECT_TRUE(people.assignments[0].by_user);

  const std::string current = sqlite_value(file, "SELECT max(version) FROM schema_version");
  // The newest schema (its number changes as migrations are appended), reached from version 1.
  EXPECT_EQ(current, std::to_string(sqlite_backend::schema_version()));
  EXPECT_GE(sqlite_backend::schema_version(), 5);
  EXPECT_EQ(sqlite_value(file, "SELECT value FROM meta WHERE key = 'schema_version'"), current);
  // New faces keep their time in the upgraded catalog.
  EXPECT_EQ(sqlite_value(file, "SELECT count(*) FROM pragma_table_info('faces') WHERE name LIKE '%_ms'"), "3");
  // Faces indexed before pose and sharpness were measured say so (no made-up frontal pose).
  EXPECT_FALSE(face->face.pose);
  EXPECT_FALSE(face->face.sharpness);
  EXPECT_EQ(sqlite_value(file, "SELECT count(*) FROM pragma_table_info('faces') WHERE name IN "
                               "('yaw', 'pitch', 'roll', 'sharpness')"),
            "4");
  // "Not the same person" answers to merge suggestions have their table.
  EXPECT_EQ(sqlite_value(file, "SELECT count(*) FROM sqlite_master WHERE name = 'person_not_same'"), "1");
  // The embeddings left the catalog for the embeddings file (schema 7): one row per face with a vector, blobs
  // emptied, and the file is what search and face() read above.
  EXPECT_EQ(sqlite_value(file, "SELECT sum(length(embedding)) FROM faces"), "0");
  EXPECT_EQ(sqlite_value(file, "SELECT value FROM meta WHERE key = 'rows'"), "2");
  EXPECT_EQ(fs::file_size(dir / "embeddings-1.f16"), 64u + 2 * (8 + 2 * 4));
}

TEST(StorageSchema, NewerCatalogIsRefused) {
  const fs::path dir = fstest::scratch_dir("newer-schema") / "lib";
  { Library library(dir.string()); }
  sqlite_exec(dir / "catalog.sqlite", "UPDATE schema_version SET version = 999");
  EXPECT_THROW(Library(dir.string(), false), std::runtime_error);
}

// The embedded library keeps each embedding once, in its embeddings file: forgetting most of a library rewrites the
// file without the dead rows (the next number), searches (exact and HNSW) and reads see exactly the live faces with
// their vectors, and new faces go on in the new file.
TEST(StorageSchema, EmbeddingsFileDropsForgottenFacesAndKeepsGoing) {
  const fs::path dir = fstest::scratch_dir("compaction") / "lib";
  auto backend = open_backend(dir.string(), /*create=*/true);
  Storage& catalog = backend->catalog();
  constexpr int kDim = 16;
  catalog.claim_pack("test@pack", kDim);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::map<std::string, std::vector<float>> vector_of;  // by path (one face per image)
  auto write = [&](const std::string& folder, int images) {
    std::vector<ImageRecord> batch;
    for (int i = 0; i < images; ++i) {
      ImageRecord r;
      r.path = "/photos/" + folder + "/" + std::to_string(i) + ".jpg";
      r.size = 10;
      r.mtime = 1;
      r.hash = r.path;
      ImageFaces img;
      img.path = r.path;
      img.width = img.height = 100;
      Face f;
      f.box = {10, 10, 50, 50};
      f.embedding.resize(kDim);
      for (float& x : f.embedding) x = normal(rng);
      f.embedding = unit(f.embedding);
      vector_of[r.path] = f.embedding;
      img.faces.push_back(f);
      r.faces = img;
      batch.push_back(r);
    }
    catalog.write_images(batch);
  };
  write("keep", 900);
  write("drop", 1200);
  EXPECT_TRUE(fs::exists(dir / "embeddings-1.f16"));
  EXPECT_EQ(catalog.forget({"/photos/drop"}), 1200u);
  // 1200 dead rows of 2100: rewritten as file 2 with the 900 live ones, file 1 gone.
  EXPECT_FALSE(fs::exists(dir / "embeddings-1.f16"));
  EXPECT_EQ(fs::file_size(dir / "embeddings-2.f16"), 64u + 900u * (8 + 2 * kDim));
  write("new", 100);
  EXPECT_EQ(fs::file_size(dir / "embeddings-2.f16"), 64u + 1000u * (8 + 2 * kDim));
  backend->searcher().after_index();

  Library library(dir.string(), /*create=*/false);
  size_t faces = 0;
  library.for_each_face([&](const LibraryFace& f) {
    ++faces;
    EXPECT_EQ(f.path.string().find("/drop/"), std::string::npos);
    const auto& want = vector_of.at(f.path.string());
    for (int i = 0; i < kDim; ++i) EXPECT_NEAR(f.face.embedding[i], want[i], 1e-3f);
    return true;
  });
  EXPECT_EQ(faces, 1000u);
  for (VectorBackend vb : {VectorBackend::Exact, VectorBackend::Hnsw}) {
    SearchOptions options;
    options.threshold = -1.f;
    options.top = 5000;
    options.backend = vb;
    for (const std::string path : {"/photos/keep/7.jpg", "/photos/new/42.jpg"}) {
      auto found = library.search(vector_of.at(path), options);
      ASSERT_FALSE(found.empty());
      EXPECT_EQ(found[0].path, path);
      EXPECT_NEAR(found[0].similarity, 1.f, 1e-3f);
      if (vb == VectorBackend::Exact) {
        EXPECT_EQ(found.size(), 1000u);
      }
      for (const Match& m : found) EXPECT_EQ(m.path.string().find("/drop/"), std::string::npos);
    }
  }
}

class SchemaBackend : public ::testing::TestWithParam<std::string> {};

// A new library at `spec` holding one image at `path` with these faces (a 4-d pack), and a copy of it (the same
// content under `copy_path`), written the way indexing writes them.
static void store_image_and_copy(const std::string& spec, const std::string& path, const std::string& copy_path,
                                 int width, int height, std::vector<Face> faces) {
  auto backend = open_backend(spec, /*create=*/true);
  Storage& catalog = backend->catalog();
  catalog.claim_pack("test@pack", 4);
  ImageRecord r;
  r.path = path;
  r.size = 1000;
  r.mtime = 1;
  r.hash = "hash-" + path;
  ImageFaces img;
  img.path = r.path;
  img.width = width;
  img.height = height;
  img.faces = std::move(faces);
  r.faces = img;
  catalog.write_images({r});
  catalog.begin();
  catalog.copy_image(*catalog.find_ok_image_by_hash(r.hash), copy_path, 1000, 2);
  catalog.commit();
  catalog.after_index();
  backend->searcher().after_index();
}

// Face::time is stored for every face and comes back from every read: face(), image(), for_each_face(), search(),
// and a copy of the image (same content under another path) keeps it.
TEST_P(SchemaBackend, FaceTimeRoundTrips) {
  const std::string spec =
      fstest::new_library(GetParam(), fstest::scratch_dir("face-time-" + GetParam()), "lib");
  const auto a = unit({1, 0.1f, 0, 0}), b = unit({0, 1, 0.2f, 0});
  Face f1, f2;
  f1.box = {10, 20, 110, 140};
  f1.embedding = a;
  f1.time = {1500, 4200, 2100};
  f2.box = {500, 20, 610, 150};
  f2.embedding = b;
  f2.time = {90'000'000'000, 90'000'000'500, 90'000'000'250};  // past 2^32 ms
  store_image_and_copy(spec, "/videos/clip.mp4", "/videos/copy.mp4", 1920, 1080, {f1, f2});
  Library library(spec, /*create=*/false);
  std::map<std::string, std::vector<FaceTime>> by_path;
  library.for_each_face([&](const LibraryFace& f) {
    by_path[f.path.string()].push_back(f.face.time);
    auto one = library.face(f.id);
    EXPECT_TRUE(one && one->face.time == f.face.time);
    return true;
  });
  const std::vector<FaceTime> want = {{1500, 4200, 2100}, {90'000'000'000, 90'000'000'500, 90'000'000'250}};
  EXPECT_EQ(by_path["/videos/clip.mp4"], want);
  EXPECT_EQ(by_path["/videos/copy.mp4"], want);
  library.for_each_image([&](const LibraryImage& img) {
    EXPECT_EQ(img.faces.size(), 2u);
    if (img.faces.size() == 2) {
      EXPECT_EQ(img.faces[1].face.time, want[1]);
    }
    return true;
  });
  for (VectorBackend vb : {VectorBackend::Exact, VectorBackend::Hnsw}) {
    SearchOptions options;
    options.threshold = 0.9f;
    options.backend = vb;
    auto found = library.search(b, options);
    ASSERT_EQ(found.size(), 2u);
    for (const Match& m : found) EXPECT_EQ(m.face.time, want[1]);
  }
}

// Pose and sharpness are stored per face and come back from every read and from a copy; a face without them
// (not measured) comes back without them.
TEST_P(SchemaBackend, PoseAndSharpnessRoundTrip) {
  const std::string spec = fstest::new_library(GetParam(), fstest::scratch_dir("face-pose-" + GetParam()), "lib");
  const auto a = unit({1, 0.1f, 0, 0}), b = unit({0, 1, 0.2f, 0});
  Face measured, unmeasured;
  measured.box = {10, 20, 110, 140};
  measured.embedding = a;
  measured.pose = FacePose{-71.4f, 12.3f, -4.5f};
  measured.sharpness = 345.25f;
  unmeasured.box = {300, 20, 410, 150};
  unmeasured.embedding = b;
  store_image_and_copy(spec, "/photos/side.jpg", "/photos/copy.jpg", 640, 480, {measured, unmeasured});
  Library library(spec, /*create=*/false);
  int seen = 0;
  library.for_each_face([&](const LibraryFace& f) {
    ++seen;
    auto one = library.face(f.id);
    EXPECT_TRUE(one && one->face.pose == f.face.pose && one->face.sharpness == f.face.sharpness);
    if (f.face.box.x1 < 100) {
      EXPECT_EQ(f.face.pose, (FacePose{-71.4f, 12.3f, -4.5f})) << f.path;
      EXPECT_NEAR(f.face.sharpness.value_or(-1.f), 345.25f, 1e-3);
    } else {
      EXPECT_FALSE(f.face.pose) << f.path;
      EXPECT_FALSE(f.face.sharpness) << f.path;
    }
    return true;
  });
  EXPECT_EQ(seen, 4);
  SearchOptions options;
  options.threshold = 0.9f;
  auto found = library.search(a, options);
  ASSERT_EQ(found.size(), 2u);
  for (const Match& m : found) EXPECT_EQ(m.face.pose, (FacePose{-71.4f, 12.3f, -4.5f}));
}

INSTANTIATE_TEST_SUITE_P(Backends, SchemaBackend, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });
