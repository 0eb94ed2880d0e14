// The catalog behaviour of the face library, run unchanged against both storage backends: the embedded SQLite
// directory and a PostgreSQL + pgvector database. The PostgreSQL server comes from $FACESEARCH_TEST_PG_URL
// (scripts/postgres-test.sh starts a throw-away one; `make test` runs the suite through it).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "engine/batch.hpp"
#include "library/library.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

// A JPEG that stops right after its first segment marker: unusable, reported, never retried.
const std::vector<std::uint8_t> kBrokenJpeg = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3};

// Copies real photos into a scratch folder (the build tree, never the repo).
void copy_photos(const std::vector<fs::path>& sources, const fs::path& dir) {
  fs::create_directories(dir);
  for (size_t i = 0; i < sources.size(); ++i)
    fs::copy_file(sources[i], dir / (std::to_string(i) + "_" + sources[i].filename().string()),
                  fs::copy_options::overwrite_existing);
}

std::vector<fs::path> jpegs_under(const std::vector<fs::path>& roots) {
  auto files = collect_files(roots, true);
  std::erase_if(files, [](const fs::path& p) { return p.extension() != ".jpg"; });
  return files;
}

std::vector<fs::path> some_photos(size_t n) {
  auto files = jpegs_under({fstest::shared_data() / "deepface_testset"});
  std::erase_if(files, [](const fs::path& p) { return p.string().find("/group/") != std::string::npos; });
  if (files.size() > n) files.resize(n);
  return files;
}

class StorageBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") pg_url_ = fstest::pg_test_url();
  }

  // A fresh, empty library: a new directory, or a new database on the test server.
  std::string new_library(const fs::path& scratch, const std::string& name) {
    return fstest::new_library(GetParam(), scratch, name);
  }

  // Pretends the library was built with another model pack.
  void set_pack(const std::string& spec, const std::string& pack) {
    const std::string sql = "UPDATE " + std::string(GetParam() == "postgres" ? "facesearch." : "") +
                            "meta SET value = '" + pack + "' WHERE key = 'pack'";
    if (GetParam() == "postgres") return fstest::pg_admin(spec, sql);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((fs::path(spec) / "catalog.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  std::string pg_url_;
};

// A stable picture of a catalog: each image's path, status and rounded face boxes, through the public API.
std::map<std::string, std::string> catalog_snapshot(const std::string& spec) {
  std::map<std::string, std::string> out;
  Library library(spec, /*create=*/false);
  library.for_each_image([&](const LibraryImage& img) {
    std::string v = img.status + " n=" + std::to_string(img.faces.size());
    for (const auto& f : img.faces)
      for (float c : {f.face.box.x1, f.face.box.y1, f.face.box.x2, f.face.box.y2}) v += " " + std::to_string(std::lround(c * 10));
    out[img.path.string()] = v;
    return true;
  });
  return out;
}

size_t face_count(const std::string& spec) { return Library(spec, false).status().faces; }

using fstest::exited_ok;
using fstest::spawn_facesearch;

pid_t run_cli(const std::vector<std::string>& args) { return spawn_facesearch(args); }

}  // namespace

// Index three photo sets, then for every labelled photo `search` ranks the same faces as `scan`; HNSW search
// (--vector-search hnsw, pgvector's index on the server) finds the exact top 10.
TEST_P(StorageBackend, SearchMatchesScan) {
  const fs::path data = fstest::shared_data();
  const std::vector<fs::path> roots = {data / "deepface_testset", data / "faceapi_bbt", data / "face_recognition_examples"};
  const fs::path scratch = fstest::scratch_dir("storage-vs-scan-" + GetParam());
  Library library(new_library(scratch, "lib"));
  IndexReport report = library.index(roots, EngineConfig{}, IndexOptions{});
  std::printf("indexed %zu files: %zu images analysed, %zu faces, %zu unusable, %.1f s\n", report.files,
              report.embedded_images, report.faces_added, report.failed, report.seconds);
  ASSERT_GT(report.faces_added, 150u);

  // What scan computes: every face of every file under the roots, with its fp32 embedding (once for both backends).
  static std::vector<fs::path> files;
  static std::map<fs::path, ImageFaces> analysed;
  if (analysed.empty()) {
    for (auto& r : roots)
      for (auto& f : collect_files({fs::absolute(r).lexically_normal()}, true)) files.push_back(f);
    BatchCallbacks cb;
    cb.on_image = [&](ImageFaces&& img) { analysed[img.path] = std::move(img); };
    analyze_files(EngineConfig{}, files, 2, true, cb);
  }

  std::vector<fs::path> queries;
  for (auto& [p, img] : analysed)
    if (p.string().find("/identities/") != std::string::npos || p.string().find("/id") != std::string::npos ||
        p.string().find("/knn_examples/train/") != std::string::npos)
      queries.push_back(p);
  ASSERT_GT(queries.size(), 100u);

  const float threshold = 0.34f;
  size_t compared = 0, real_scans = 0, hnsw_found = 0, hnsw_wanted = 0;
  for (const auto& qpath : queries) {
    const ImageFaces& q = analysed[qpath];
    int qi = choose_face(q, "best");
    if (qi < 0) continue;
    const Embedding& query = q.faces[static_cast<size_t>(qi)].embedding;
    std::vector<Match> expected;
    // A few through scan itself (kept for the other backend: the expectation does not depend on it); the rest
    // with the very same per-face computation.
    static std::map<fs::path, std::vector<Match>> scanned;
    if (real_scans < 3) {
      if (!scanned.count(qpath)) {
        ScanOptions so;
        so.threshold = threshold;
        scanned[qpath] = scan_files({}, query, files, so).matches;
      }
      expected = scanned[qpath];
      ++real_scans;
    } else {
      for (auto& [p, img] : analysed)
        for (auto& f : img.faces)
          if (float s = dot(query, f.embedding); s >= threshold) expected.push_back({p, img.width, img.height, f, s});
      std::sort(expected.begin(), expected.end(), [](auto& a, auto& b) {
        if (a.similarity != b.similarity) return a.similarity > b.similarity;
        if (a.path != b.path) return a.path < b.path;
        return a.face.box.x1 < b.face.box.x1;
      });
    }
    SearchOptions so;
    so.threshold = threshold;
    auto got = library.search(query, so);
    // The library stores embeddings in half precision: similarities agree to ~1e-3, so faces within that of the
    // threshold may fall either side, and near-ties may swap. Everything else must be identical, in order.
    auto keep = [&](std::vector<Match>& v) {
      std::erase_if(v, [&](const Match& m) { return std::abs(m.similarity - threshold) < 2e-3f; });
    };
    keep(expected);
    keep(got);
    ASSERT_EQ(got.size(), expected.size()) << qpath;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i].similarity, expected[i].similarity, 2e-3f) << qpath << " rank " << i;
      bool same = got[i].path == expected[i].path && std::abs(got[i].face.box.x1 - expected[i].face.box.x1) < 0.5f;
      bool near_tie = (i + 1 < got.size() && std::abs(got[i].similarity - got[i + 1].similarity) < 2e-3f) ||
                      (i > 0 && std::abs(got[i].similarity - got[i - 1].similarity) < 2e-3f);
      EXPECT_TRUE(same || near_tie) << qpath << " rank " << i << ": " << got[i].path << " vs " << expected[i].path;
      EXPECT_GT(got[i].face_id, 0);
      EXPECT_GT(got[i].image_id, 0);
    }
    ++compared;
    // The approximate index (on 40 queries: each costs two more searches): its top 10 against the exact top 10.
    if (compared > 40) continue;
    SearchOptions approx;
    approx.threshold = -1.f;
    approx.top = 10;
    SearchOptions exact = approx;
    approx.backend = VectorBackend::Hnsw;
    exact.backend = VectorBackend::Exact;
    std::set<std::int64_t> truth;
    for (auto& m : library.search(query, exact)) truth.insert(m.face_id);
    for (auto& m : library.search(query, approx)) hnsw_found += truth.count(m.face_id);
    hnsw_wanted += truth.size();
  }
  const double recall = static_cast<double>(hnsw_found) / static_cast<double>(std::max<size_t>(hnsw_wanted, 1));
  std::printf("search == scan for %zu labelled queries (%zu through scan_files); HNSW recall@10 %.3f\n", compared,
              real_scans, recall);
  EXPECT_GT(compared, 100u);
  EXPECT_GE(recall, 0.95);
}

// Unchanged trees embed nothing; touched, modified, deleted, renamed and copied files are each handled.
TEST_P(StorageBackend, IncrementalIndexing) {
  const fs::path scratch = fstest::scratch_dir("storage-incremental-" + GetParam());
  const fs::path photos = scratch / "photos";
  const std::string lib = new_library(scratch, "lib");
  auto sources = some_photos(8);
  copy_photos(sources, photos);
  fstest::write_file(photos / "broken.jpg", kBrokenJpeg);
  Library library(lib);
  IndexOptions options;
  auto first = library.index({photos}, EngineConfig{}, options);
  EXPECT_EQ(first.added, 9u);
  EXPECT_EQ(first.embedded_images, 8u);
  EXPECT_EQ(first.failed, 1u);
  const size_t faces = face_count(lib);
  ASSERT_GE(faces, 8u);

  auto second = library.index({photos}, EngineConfig{}, options);
  EXPECT_EQ(second.unchanged, 9u);
  EXPECT_EQ(second.embedded_images, 0u);  // nothing re-embedded, the broken file not retried
  EXPECT_EQ(face_count(lib), faces);

  auto list = collect_files({photos}, false);
  std::erase_if(list, [](const fs::path& p) { return p.filename() == "broken.jpg"; });
  // touch: same bytes, new mtime
  fs::last_write_time(list[0], fs::last_write_time(list[0]) + std::chrono::hours(1));
  // modify: other content under the same name
  fs::copy_file(fstest::shared_data() / "faceapi_bbt/group/bbt4.jpg", list[1], fs::copy_options::overwrite_existing);
  // delete, rename, copy
  fs::remove(list[2]);
  fs::rename(list[3], photos / "renamed.jpg");
  fs::create_directories(photos / "sub");
  fs::copy_file(list[4], photos / "sub" / "copy.jpg");
  auto third = library.index({photos}, EngineConfig{}, options);
  EXPECT_EQ(third.touched, 1u);
  EXPECT_EQ(third.changed, 1u);
  EXPECT_EQ(third.removed, 1u);
  EXPECT_EQ(third.moved, 1u);
  EXPECT_EQ(third.copied, 1u);
  EXPECT_EQ(third.embedded_images, 1u);  // only the modified file went through the engine
  EXPECT_EQ(third.unchanged, 5u);        // the 4 photos left alone and broken.jpg
  // The catalog equals a clean index of the same tree.
  const std::string clean = new_library(scratch, "clean");
  Library(clean).index({photos}, EngineConfig{}, options);
  const auto clean_snapshot = catalog_snapshot(clean);
  EXPECT_EQ(catalog_snapshot(lib), clean_snapshot);
  EXPECT_EQ(clean_snapshot.count((photos / "sub" / "copy.jpg").string()), 1u);

  // forget removes images and their faces.
  EXPECT_EQ(library.forget({photos / "sub"}), 1u);
  EXPECT_EQ(library.status().images, clean_snapshot.size() - 1);
  EXPECT_LT(library.status().faces, face_count(clean));
}

// Identical files met in one run are analysed once; the others become copies with the same faces. Identical broken
// files each get their own error row.
TEST_P(StorageBackend, IdenticalFilesInOneRunAreEmbeddedOnce) {
  const fs::path scratch = fstest::scratch_dir("storage-twins-" + GetParam());
  const fs::path photos = scratch / "photos";
  const std::string lib = new_library(scratch, "lib");
  auto sources = some_photos(2);
  copy_photos(sources, photos);
  for (const char* name : {"twin1.jpg", "sub/twin2.jpg", "sub/deeper/twin3.jpg"}) {
    fs::create_directories((photos / name).parent_path());
    fs::copy_file(sources[0], photos / name);
  }
  fstest::write_file(photos / "broken1.jpg", kBrokenJpeg);
  fstest::write_file(photos / "sub/broken2.jpg", kBrokenJpeg);
  Library library(lib);
  auto report = library.index({photos}, EngineConfig{}, IndexOptions{});
  EXPECT_EQ(report.files, 7u);
  EXPECT_EQ(report.embedded_images, 2u);  // one of the four identical photos, and the other photo
  EXPECT_EQ(report.copied, 3u);
  EXPECT_EQ(report.added, 4u);            // two photos, two broken files
  EXPECT_EQ(report.failed, 2u);
  const auto snapshot = catalog_snapshot(lib);
  ASSERT_EQ(snapshot.size(), 7u);
  const std::string first = snapshot.at((photos / ("0_" + sources[0].filename().string())).string());
  EXPECT_EQ(first.rfind("ok n=", 0), 0u) << first;
  for (const char* name : {"twin1.jpg", "sub/twin2.jpg", "sub/deeper/twin3.jpg"})
    EXPECT_EQ(snapshot.at((photos / name).string()), first) << name;
  // The copies carry the original's vectors, face for face (their rows were copied and synced with the commit).
  std::map<std::string, std::vector<std::vector<float>>> vectors;
  library.for_each_face([&](const LibraryFace& f) {
    vectors[f.path.string()].push_back(f.face.embedding);
    return true;
  });
  const auto& original = vectors[(photos / ("0_" + sources[0].filename().string())).string()];
  ASSERT_FALSE(original.empty());
  for (const auto& v : original) EXPECT_EQ(v.size(), 512u);
  for (const char* name : {"twin1.jpg", "sub/twin2.jpg", "sub/deeper/twin3.jpg"})
    EXPECT_EQ(vectors[(photos / name).string()], original) << name;
  EXPECT_EQ(snapshot.at((photos / "broken1.jpg").string()).rfind("error", 0), 0u);
  EXPECT_EQ(snapshot.at((photos / "sub/broken2.jpg").string()).rfind("error", 0), 0u);
  // Changing two files to the same new content: analysed once too.
  fs::copy_file(sources[1], photos / "twin1.jpg", fs::copy_options::overwrite_existing);
  fs::copy_file(sources[1], photos / "sub/twin2.jpg", fs::copy_options::overwrite_existing);
  auto again = library.index({photos}, EngineConfig{}, IndexOptions{});
  EXPECT_EQ(again.changed, 2u);
  EXPECT_EQ(again.embedded_images, 1u);
  const std::string clean = new_library(scratch, "clean");
  Library(clean).index({photos}, EngineConfig{}, IndexOptions{});
  EXPECT_EQ(catalog_snapshot(lib), catalog_snapshot(clean));
}

// A long-lived searcher (serve keeps its Library objects and their loaded vectors) sees every face another
// process adds or removes, exact and HNSW, and Library objects sharing one VectorCache agree.
TEST_P(StorageBackend, LongLivedSearcherSeesChanges) {
  const fs::path scratch = fstest::scratch_dir("storage-longlived-" + GetParam());
  const std::string lib = new_library(scratch, "lib");
  auto sources = some_photos(8);
  copy_photos({sources.begin(), sources.begin() + 4}, scratch / "a");
  copy_photos({sources.begin() + 4, sources.end()}, scratch / "b");
  Library writer(lib);
  writer.index({scratch / "a"}, EngineConfig{}, IndexOptions{});

  auto vectors = std::make_shared<VectorCache>();
  Library reader(lib, false, vectors), other_reader(lib, false, vectors);
  Embedding query;
  reader.for_each_face([&](const LibraryFace& f) {
    query = f.face.embedding;
    return false;
  });
  ASSERT_FALSE(query.empty());
  auto everything = [&](Library& l, VectorBackend backend) {
    SearchOptions o;
    o.top = 1000;
    o.threshold = -1.f;
    o.backend = backend;
    return l.search(query, o);
  };
  auto faces_under = [](const std::vector<Match>& ms, const fs::path& dir) {
    return std::count_if(ms.begin(), ms.end(), [&](const Match& m) {
      return m.path.string().rfind(dir.string() + "/", 0) == 0;
    });
  };
  for (auto backend : {VectorBackend::Exact, VectorBackend::Hnsw}) {
    SCOPED_TRACE(backend == VectorBackend::Exact ? "exact" : "hnsw");
    const size_t before = face_count(lib);
    EXPECT_EQ(everything(reader, backend).size(), before);
    writer.index({scratch / "b"}, EngineConfig{}, IndexOptions{});
    const size_t after = face_count(lib);
    ASSERT_GT(after, before);
    auto grown = everything(reader, backend);
    EXPECT_EQ(grown.size(), after);
    EXPECT_EQ(static_cast<size_t>(faces_under(grown, scratch / "b")), after - before);
    EXPECT_EQ(everything(other_reader, backend).size(), after);
    EXPECT_EQ(writer.forget({scratch / "b"}), 4u);
    auto shrunk = everything(reader, backend);
    EXPECT_EQ(shrunk.size(), before);
    EXPECT_EQ(faces_under(shrunk, scratch / "b"), 0);
    EXPECT_EQ(everything(other_reader, backend).size(), before);
  }
}

// kill -9 at random moments, run again: the catalog equals a clean run's.
TEST_P(StorageBackend, CrashSafeUnderKill9) {
  const fs::path scratch = fstest::scratch_dir("storage-crash-" + GetParam());
  const fs::path photos = scratch / "photos";
  copy_photos(jpegs_under({fstest::shared_data() / "deepface_testset", fstest::shared_data() / "faceapi_bbt/group"}),
              photos);
  auto run_index = [&](const std::string& lib) {
    return run_cli({"--quiet", "--library", lib, "index", photos.string()});
  };
  // Clean run first, for the expected catalog and to know how long a whole run takes.
  const std::string clean = new_library(scratch, "clean");
  int status = 0;
  const auto t0 = std::chrono::steady_clock::now();
  waitpid(run_index(clean), &status, 0);
  const auto clean_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(exited_ok(status));
  const auto expected = catalog_snapshot(clean);
  ASSERT_GE(expected.size(), 60u);

  std::mt19937 rng(20261128);
  // Kill points spread over a whole run. Each cycle starts a fresh library and kills the indexer again and again
  // (every restart resumes) until a run gets to the end; that run's catalog must equal the clean one.
  std::uniform_int_distribution<long> delay_ms(100, std::max<long>(200, clean_ms * 7 / 10));
  int kills = 0;
  for (int cycle = 0; cycle < 6 && kills < 6; ++cycle) {
    const std::string lib = new_library(scratch, "lib" + std::to_string(cycle));
    for (int round = 0; round < 30; ++round) {
      pid_t pid = run_index(lib);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ++kills;
        std::printf("cycle %d kill %d: %zu images committed\n", cycle, kills, catalog_snapshot(lib).size());
        continue;
      }
      ASSERT_TRUE(exited_ok(status));
      break;
    }
    // Once more to the end (a no-op when the last run finished), then compare.
    waitpid(run_index(lib), &status, 0);
    ASSERT_TRUE(exited_ok(status));
    EXPECT_EQ(catalog_snapshot(lib), expected) << "cycle " << cycle;
  }
  EXPECT_GE(kills, 5);
}

// A library built with one model pack refuses another.
TEST_P(StorageBackend, ModelMismatchIsRefused) {
  const fs::path scratch = fstest::scratch_dir("storage-mismatch-" + GetParam());
  const fs::path photos = scratch / "photos";
  const std::string lib = new_library(scratch, "lib");
  copy_photos(some_photos(2), photos);
  Library(lib).index({photos}, EngineConfig{}, IndexOptions{});
  set_pack(lib, "buffalo_l@1:0123456789abcdef");
  Library library(lib, /*create=*/false);
  try {
    library.check_pack(resolve_pack(EngineConfig{}));
    FAIL() << "mismatch not detected";
  } catch (const ModelMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("--reembed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("buffalo_l"), std::string::npos) << e.what();
  }
  EXPECT_THROW(library.index({photos}, EngineConfig{}, IndexOptions{}), ModelMismatchError);
  // The CLI refuses to search it too, with the same message.
  int status = 0;
  waitpid(run_cli({"--library", lib, "search", "-q", some_photos(1)[0].string()}), &status, 0);
  EXPECT_FALSE(exited_ok(status));
  // --reembed starts over with the current pack.
  IndexOptions reembed;
  reembed.reembed = true;
  auto r = library.index({photos}, EngineConfig{}, reembed);
  EXPECT_EQ(r.embedded_images, 2u);
  EXPECT_NO_THROW(library.check_pack(resolve_pack(EngineConfig{})));
  EXPECT_EQ(library.status().images, 2u);
}

// Issue 17 made the `profile` pack the default; the previous default is the pack `frontal` now. A library an older
// facesearch indexed with its default claimed the fingerprint "default@1:87aacdfe57510db2" (the pack id and
// version, then the recogniser file's sha256 prefix): it is a `frontal` library. With `--pack frontal` it opens,
// grows and searches as before; the new default refuses it with a message naming `frontal` and `--reembed` (same
// recogniser file, but another alignment: not mixed); `index --reembed` moves it to the new default.
TEST_P(StorageBackend, LibraryOfThePreviousDefaultPack) {
  const fs::path scratch = fstest::scratch_dir("storage-previous-default-" + GetParam());
  const fs::path photos = scratch / "photos";
  const std::string lib = new_library(scratch, "lib");
  const std::vector<fs::path> three = some_photos(3);
  copy_photos({three[0], three[1]}, photos);
  EngineConfig frontal;
  frontal.pack_id = "frontal";
  Library(lib).index({photos}, frontal, IndexOptions{});
  set_pack(lib, "default@1:87aacdfe57510db2");  // what the previous default's manifest made (models/frontal.json)
  const ModelPack frontal_pack = resolve_pack(frontal), default_pack = resolve_pack(EngineConfig{});
  ASSERT_EQ(frontal_pack.id, "frontal");
  ASSERT_EQ(default_pack.id, kDefaultPack);
  ASSERT_NE(default_pack.id, "frontal");

  Library library(lib, /*create=*/false);
  EXPECT_NO_THROW(library.check_pack(frontal_pack));
  copy_photos({three[2]}, photos / "more");
  const IndexReport grown = library.index({photos}, frontal, IndexOptions{});
  EXPECT_EQ(grown.embedded_images, 1u);  // only the new photo: the two others are this pack's already
  EXPECT_EQ(library.status().pack, "default@1:87aacdfe57510db2");
  // The same pipeline: a query embedded by `frontal` finds its own photo's face as itself (fp16 storage).
  const ImageFaces query = Engine(frontal).analyze_file(three[0]);
  const int chosen = choose_face(query, "best");
  ASSERT_GE(chosen, 0);
  const std::vector<Match> found = library.search(query.faces[static_cast<size_t>(chosen)].embedding, SearchOptions{});
  ASSERT_FALSE(found.empty());
  EXPECT_GT(found[0].similarity, 0.999f);
  EXPECT_EQ(found[0].path.filename().string(), "0_" + three[0].filename().string());

  try {
    library.check_pack(default_pack);
    FAIL() << "the new default searched a library of the previous one";
  } catch (const ModelMismatchError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("now called 'frontal'"), std::string::npos) << message;
    EXPECT_NE(message.find("--pack frontal"), std::string::npos) << message;
    EXPECT_NE(message.find("--reembed"), std::string::npos) << message;
  }
  EXPECT_THROW(library.index({photos}, EngineConfig{}, IndexOptions{}), ModelMismatchError);
  // Through the CLI: refused without --pack, searched with --pack frontal.
  int status = 0;
  waitpid(run_cli({"--library", lib, "search", "-q", three[0].string()}), &status, 0);
  EXPECT_FALSE(exited_ok(status));
  waitpid(run_cli({"--pack", "frontal", "--library", lib, "search", "-q", three[0].string()}), &status, 0);
  EXPECT_TRUE(exited_ok(status));
  // `status` (no pack needed) names the pack that reads it; its JSON keeps the fingerprint as stored.
  const fstest::CommandRun st =
      fstest::run_command("'" + std::string(FACESEARCH_BINARY_DIR) + "/facesearch' --library '" + lib + "' status");
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_NE(st.out.find("default@1:87aacdfe57510db2 (the pack now called 'frontal'"), std::string::npos) << st.out;

  IndexOptions reembed;
  reembed.reembed = true;
  EXPECT_EQ(library.index({photos}, EngineConfig{}, reembed).embedded_images, 3u);
  EXPECT_EQ(library.status().pack, default_pack.fingerprint());
  EXPECT_NO_THROW(library.check_pack(default_pack));
  EXPECT_THROW(library.check_pack(frontal_pack), ModelMismatchError);
  waitpid(run_cli({"--library", lib, "search", "-q", three[0].string()}), &status, 0);
  EXPECT_TRUE(exited_ok(status));
}

// A search from another process while `index` is writing: it must answer, never fail on a lock.
TEST_P(StorageBackend, SearchWhileIndexing) {
  const fs::path scratch = fstest::scratch_dir("storage-concurrent-" + GetParam());
  const fs::path photos = scratch / "photos";
  const std::string lib = new_library(scratch, "lib");
  auto sources = some_photos(40);
  copy_photos(sources, photos);
  // A first small library so search has something to open.
  Library(lib).index({photos / ("0_" + sources[0].filename().string())}, EngineConfig{}, IndexOptions{});
  // One worker: the index runs long enough for several searches to overlap it.
  pid_t pid = run_cli({"--quiet", "--library", lib, "index", "--jobs", "1", photos.string()});
  const std::string query = (fstest::shared_data() / "deepface_testset/id01_Angelina_Jolie/img1.jpg").string();
  int searches = 0, failures = 0, status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    int rc = 0;
    waitpid(run_cli({"--quiet", "--library", lib, "search", "--json", "-q", query}), &rc, 0);
    ++searches;
    if (!exited_ok(rc)) ++failures;
  }
  EXPECT_TRUE(exited_ok(status));
  std::printf("%d searches while indexing, %d failed\n", searches, failures);
  EXPECT_GE(searches, 3);
  EXPECT_EQ(failures, 0);
}

// Several `index` processes on different folders into one library at once, searched meanwhile: the result equals
// one process indexing all the folders.
TEST_P(StorageBackend, ConcurrentIndexersOnDifferentFolders) {
  const fs::path scratch = fstest::scratch_dir("storage-indexers-" + GetParam());
  const fs::path data = fstest::shared_data();
  const std::vector<fs::path> folders = {scratch / "a", scratch / "b", scratch / "c"};
  copy_photos(some_photos(30), folders[0]);
  copy_photos(jpegs_under({data / "faceapi_bbt"}), folders[1]);
  copy_photos(jpegs_under({data / "face_recognition_examples"}), folders[2]);
  const std::string lib = new_library(scratch, "lib"), clean = new_library(scratch, "clean");

  std::vector<pid_t> indexers;
  for (const auto& f : folders)
    indexers.push_back(run_cli({"--quiet", "--library", lib, "index", "--jobs", "1", f.string()}));
  const std::string query = (data / "deepface_testset/id01_Angelina_Jolie/img1.jpg").string();
  int searches = 0, search_failures = 0, index_failures = 0;
  for (pid_t pid : indexers) {
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      int rc = 0;
      waitpid(run_cli({"--quiet", "--library", lib, "search", "--json", "-q", query}), &rc, 0);
      ++searches;
      // The very first searches may come before any indexer created the library.
      if (!exited_ok(rc) && searches > 3) ++search_failures;
    }
    if (!exited_ok(status)) ++index_failures;
  }
  std::printf("3 indexers at once, %d searches meanwhile, %d failed\n", searches, search_failures);
  EXPECT_EQ(index_failures, 0);
  EXPECT_EQ(search_failures, 0);
  EXPECT_GE(searches, 3);

  int status = 0;
  waitpid(run_cli({"--quiet", "--library", clean, "index", folders[0].string(), folders[1].string(),
                   folders[2].string()}),
          &status, 0);
  ASSERT_TRUE(exited_ok(status));
  const auto expected = catalog_snapshot(clean);
  EXPECT_GT(expected.size(), 60u);
  EXPECT_EQ(catalog_snapshot(lib), expected);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageBackend, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });
