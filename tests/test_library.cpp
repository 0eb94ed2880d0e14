// The persistent face library: same answers as scan, incremental, crash-safe, never mixes models.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
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

// A stable picture of a catalog: each image's path, status and rounded face boxes.
std::map<std::string, std::string> catalog_snapshot(const fs::path& library) {
  sqlite3* db = nullptr;
  std::map<std::string, std::string> out;
  if (sqlite3_open_v2((library / "catalog.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  const char* q =
      "SELECT i.path, i.status, i.face_count, f.x1, f.y1, f.x2, f.y2 FROM images i LEFT JOIN faces f ON f.image_id = "
      "i.id ORDER BY i.path, f.x1, f.y1";
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, q, -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string path = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    std::string& v = out[path];
    if (v.empty())
      v = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) + " n=" +
          std::to_string(sqlite3_column_int(st, 2));
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
      for (int c = 3; c < 7; ++c) v += " " + std::to_string(sqlite3_column_int(st, c));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

size_t count_rows(const fs::path& library, const char* table) {
  sqlite3* db = nullptr;
  sqlite3_open_v2((library / "catalog.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, (std::string("SELECT count(*) FROM ") + table).c_str(), -1, &st, nullptr);
  sqlite3_step(st);
  size_t n = static_cast<size_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// Copies real photos into a scratch folder (the build tree, never the repo).
void copy_photos(const std::vector<fs::path>& sources, const fs::path& dir) {
  fs::create_directories(dir);
  for (size_t i = 0; i < sources.size(); ++i)
    fs::copy_file(sources[i], dir / (std::to_string(i) + "_" + sources[i].filename().string()),
                  fs::copy_options::overwrite_existing);
}

std::vector<fs::path> some_photos(size_t n) {
  auto files = collect_files({fstest::shared_data() / "deepface_testset"}, true);
  std::erase_if(files, [](const fs::path& p) { return p.extension() != ".jpg" || p.string().find("/group/") != std::string::npos; });
  if (files.size() > n) files.resize(n);
  return files;
}

std::string binary() { return std::string(FACESEARCH_BINARY_DIR) + "/facesearch"; }

}  // namespace

// Must show 1: index three photo sets, then for every labelled photo `search` ranks the same faces as `scan`.
TEST(Library, SearchMatchesScan) {
  const fs::path data = fstest::shared_data();
  const std::vector<fs::path> roots = {data / "deepface_testset", data / "faceapi_bbt", data / "face_recognition_examples"};
  const fs::path lib_dir = fstest::scratch_dir("library-vs-scan");
  Library library(lib_dir);
  IndexOptions options;
  IndexReport report = library.index(roots, EngineConfig{}, options);
  std::printf("indexed %zu files: %zu images analysed, %zu faces, %zu unusable, %.1f s\n", report.files,
              report.embedded_images, report.faces_added, report.failed, report.seconds);
  ASSERT_GT(report.faces_added, 150u);

  // What scan computes: every face of every file under the roots, with its fp32 embedding.
  std::vector<fs::path> files;
  for (auto& r : roots)
    for (auto& f : collect_files({fs::absolute(r).lexically_normal()}, true)) files.push_back(f);
  std::map<fs::path, ImageFaces> analysed;
  BatchCallbacks cb;
  cb.on_image = [&](ImageFaces&& img) { analysed[img.path] = std::move(img); };
  analyze_files(EngineConfig{}, files, 2, true, cb);

  std::vector<fs::path> queries;
  for (auto& [p, img] : analysed)
    if (p.string().find("/identities/") != std::string::npos || p.string().find("/id") != std::string::npos ||
        p.string().find("/knn_examples/train/") != std::string::npos)
      queries.push_back(p);
  ASSERT_GT(queries.size(), 100u);

  const float threshold = 0.34f;
  size_t compared = 0, real_scans = 0;
  for (const auto& qpath : queries) {
    const ImageFaces& q = analysed[qpath];
    int qi = choose_face(q, "best");
    if (qi < 0) continue;
    const Embedding& query = q.faces[static_cast<size_t>(qi)].embedding;
    std::vector<Match> expected;
    if (real_scans < 3) {  // a few through scan itself; the rest with the very same per-face computation
      ScanOptions so;
      so.threshold = threshold;
      expected = scan_files({}, query, files, so).matches;
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
    }
    ++compared;
  }
  std::printf("search == scan for %zu labelled queries (%zu through scan_files)\n", compared, real_scans);
  EXPECT_GT(compared, 100u);
}

// Must show 2: unchanged trees embed nothing; touched, modified, deleted, renamed and copied files are each handled.
TEST(Library, IncrementalIndexing) {
  const fs::path root = fstest::scratch_dir("library-incremental");
  const fs::path photos = root / "photos", lib_dir = root / "lib";
  auto sources = some_photos(8);
  copy_photos(sources, photos);
  fstest::write_file(photos / "broken.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3});
  Library library(lib_dir);
  IndexOptions options;
  auto first = library.index({photos}, EngineConfig{}, options);
  EXPECT_EQ(first.added, 9u);
  EXPECT_EQ(first.embedded_images, 8u);
  EXPECT_EQ(first.failed, 1u);
  const size_t faces = count_rows(lib_dir, "faces");
  ASSERT_GE(faces, 8u);

  auto second = library.index({photos}, EngineConfig{}, options);
  EXPECT_EQ(second.unchanged, 9u);
  EXPECT_EQ(second.embedded_images, 0u);  // nothing re-embedded, the broken file not retried
  EXPECT_EQ(count_rows(lib_dir, "faces"), faces);

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
  const fs::path clean = root / "clean-lib";
  Library(clean).index({photos}, EngineConfig{}, options);
  EXPECT_EQ(catalog_snapshot(lib_dir), catalog_snapshot(clean));

  // forget removes images and their faces.
  EXPECT_EQ(library.forget({photos / "sub"}), 1u);
  EXPECT_EQ(library.status().images, catalog_snapshot(clean).size() - 1);
}

// Must show 3: kill -9 at random moments, run again: the catalog equals a clean run's.
TEST(Library, CrashSafeUnderKill9) {
  const fs::path root = fstest::scratch_dir("library-crash");
  const fs::path photos = root / "photos", clean = root / "clean";
  auto sources = collect_files({fstest::shared_data() / "deepface_testset", fstest::shared_data() / "faceapi_bbt/group"}, true);
  std::erase_if(sources, [](const fs::path& p) { return p.extension() != ".jpg"; });
  copy_photos(sources, photos);

  auto run_index = [&](const fs::path& lib) {
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = open("/dev/null", 1);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(binary().c_str(), "facesearch", "--quiet", "--library", lib.c_str(), "index", photos.c_str(), nullptr);
      _exit(127);
    }
    return pid;
  };
  // Clean run first, for the expected catalog and to know how long a whole run takes.
  int status = 0;
  const auto t0 = std::chrono::steady_clock::now();
  waitpid(run_index(clean), &status, 0);
  const auto clean_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto expected = catalog_snapshot(clean);
  ASSERT_GE(expected.size(), 60u);

  std::mt19937 rng(20261128);
  // Kill points spread over a whole run. Each cycle starts a fresh library and kills the indexer again and again
  // (every restart resumes) until a run gets to the end; that run's catalog must equal the clean one.
  std::uniform_int_distribution<long> delay_ms(100, std::max<long>(200, clean_ms * 7 / 10));
  int kills = 0;
  for (int cycle = 0; cycle < 6 && kills < 6; ++cycle) {
    const fs::path lib = root / ("lib" + std::to_string(cycle));
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
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      break;
    }
    // Once more to the end (a no-op when the last run finished), then compare.
    waitpid(run_index(lib), &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(catalog_snapshot(lib), expected) << "cycle " << cycle;
  }
  EXPECT_GE(kills, 5);
}

// Must show 5: a library built with one model pack refuses another.
TEST(Library, ModelMismatchIsRefused) {
  const fs::path root = fstest::scratch_dir("library-mismatch");
  const fs::path photos = root / "photos", lib_dir = root / "lib";
  copy_photos(some_photos(2), photos);
  {
    Library library(lib_dir);
    library.index({photos}, EngineConfig{}, IndexOptions{});
  }
  // Pretend the library was made with another pack.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((lib_dir / "catalog.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = 'buffalo_l@1:0123456789abcdef' WHERE key = 'pack'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Library library(lib_dir);
  try {
    library.check_pack(find_builtin_pack("default"));
    FAIL() << "mismatch not detected";
  } catch (const ModelMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("--reembed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("buffalo_l"), std::string::npos) << e.what();
  }
  EXPECT_THROW(library.index({photos}, EngineConfig{}, IndexOptions{}), ModelMismatchError);
  // --reembed starts over with the current pack.
  IndexOptions reembed;
  reembed.reembed = true;
  auto r = library.index({photos}, EngineConfig{}, reembed);
  EXPECT_EQ(r.embedded_images, 2u);
  EXPECT_NO_THROW(library.check_pack(find_builtin_pack("default")));
}

// A search from another process while `index` is writing: it must answer, never fail on a lock.
TEST(Library, SearchWhileIndexing) {
  const fs::path root = fstest::scratch_dir("library-concurrent");
  const fs::path photos = root / "photos", lib_dir = root / "lib";
  auto sources = collect_files({fstest::shared_data() / "deepface_testset", fstest::shared_data() / "group_photos"}, true);
  std::erase_if(sources, [](const fs::path& p) { return p.extension() != ".jpg"; });
  copy_photos(sources, photos);
  // A first small library so search has something to open.
  {
    Library library(lib_dir);
    library.index({photos / ("0_" + sources[0].filename().string())}, EngineConfig{}, IndexOptions{});
  }
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", 1);
    dup2(devnull, 1);
    dup2(devnull, 2);
    // One worker: the index runs long enough for several searches to overlap it.
    execl(binary().c_str(), "facesearch", "--quiet", "--library", lib_dir.c_str(), "index", "--jobs", "1",
          "--small-faces", "on", photos.c_str(), nullptr);
    _exit(127);
  }
  const std::string query = (fstest::shared_data() / "deepface_testset/id01_Angelina_Jolie/img1.jpg").string();
  int searches = 0, failures = 0, status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    std::string cmd = binary() + " --quiet --library '" + lib_dir.string() + "' search --json -q '" + query + "' >/dev/null";
    int rc = std::system(cmd.c_str());
    ++searches;
    if (rc != 0) ++failures;
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::printf("%d searches while indexing, %d failed\n", searches, failures);
  EXPECT_GE(searches, 3);
  EXPECT_EQ(failures, 0);
}

TEST(Library, CombinedQueryIsNormalisedMean) {
  Embedding a = {1, 0, 0}, b = {0, 1, 0};
  auto c = combine_queries({a, b});
  EXPECT_NEAR(c[0], std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR(c[1], std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR(c[2], 0.f, 1e-6);
}
