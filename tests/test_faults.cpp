// Issue 13, fault injection: the storage fails under a running facesearch (read errors as a dying disk gives them,
// through an LD_PRELOAD library; kill -9 of `serve` in the middle of a background index). No process dies by a
// signal it did not receive, the library stays consistent and the next run completes it.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "hardening_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace hardening;

namespace {

// While alive, every facesearch started by the test fails each read of a file whose path contains `marker`.
class ReadErrorsOn {
 public:
  explicit ReadErrorsOn(const std::string& marker) {
    setenv("FACESEARCH_FAULT_READ_EIO", marker.c_str(), 1);
    setenv("LD_PRELOAD", FACESEARCH_READ_ERRORS_LIBRARY, 1);
  }
  ~ReadErrorsOn() {
    unsetenv("LD_PRELOAD");
    unsetenv("FACESEARCH_FAULT_READ_EIO");
  }
  ReadErrorsOn(const ReadErrorsOn&) = delete;
  ReadErrorsOn& operator=(const ReadErrorsOn&) = delete;
};

json status_json(const fs::path& library, const fs::path& stem) {
  const Child run = run_facesearch({"--library", library.string(), "status", "--json"}, stem);
  EXPECT_TRUE(fstest::exited_ok(run.status)) << run.err;
  return json::parse(run.out);
}

void expect_no_signal(const Child& run) {
  EXPECT_TRUE(WIFEXITED(run.status)) << "killed by signal " << WTERMSIG(run.status) << "\n" << run.err;
}

// The same photos indexed in one undisturbed run: what a repaired library must equal.
json clean_status(const fs::path& scratch, const fs::path& photos) {
  const fs::path clean = scratch / "clean";
  const Child run = run_facesearch({"--library", clean.string(), "index", photos.string()}, scratch / "clean-run");
  EXPECT_TRUE(fstest::exited_ok(run.status)) << run.err;
  return status_json(clean, scratch / "clean-status");
}

void expect_same_library(const json& repaired, const json& reference) {
  EXPECT_EQ(repaired["images"], reference["images"]);
  EXPECT_EQ(repaired["faces"], reference["faces"]);
  EXPECT_EQ(repaired["unusable"], reference["unusable"]);
}

}  // namespace

// A photo whose reads fail is reported with the system's reason, the others are indexed, and nothing is recorded
// for it: the next index (the disk readable again) adds it, and the library equals one made in a clean run.
TEST(Faults, ReadErrorsOnPhotosAreReportedAndRetried) {
  const fs::path scratch = fstest::scratch_dir("faults-read-photos");
  const fs::path photos = copy_shared_photos(scratch, "faceapi_bbt");
  fs::rename(photos / "identities" / "amy" / "amy1.png", photos / "identities" / "amy" / "failing-amy1.png");
  fs::rename(photos / "identities" / "howard" / "howard2.png", photos / "identities" / "howard" / "failing-howard2.png");
  const fs::path library = scratch / "lib";
  {
    ReadErrorsOn faults("failing-");
    const Child run =
        run_facesearch({"--library", library.string(), "index", photos.string(), "--jobs", "2"}, scratch / "faulty");
    expect_no_signal(run);
    EXPECT_EQ(WEXITSTATUS(run.status), 0) << run.err;
    for (const char* name : {"failing-amy1.png", "failing-howard2.png"}) {
      const auto line = run.err.find(name);
      ASSERT_NE(line, std::string::npos) << run.err;
      EXPECT_NE(run.err.find("cannot read file: Input/output error", line), std::string::npos) << run.err;
    }
  }
  const json reference = clean_status(scratch, photos);
  const json faulty = status_json(library, scratch / "faulty-status");
  EXPECT_EQ(faulty["images"].get<int>(), reference["images"].get<int>() - 2) << faulty.dump();
  EXPECT_EQ(faulty["unusable"], reference["unusable"]) << "a read error was recorded as an unusable file";

  const Child again = run_facesearch({"--library", library.string(), "index", photos.string()}, scratch / "again");
  ASSERT_TRUE(fstest::exited_ok(again.status)) << again.err;
  EXPECT_NE(again.err.find(" 2 new,"), std::string::npos) << again.err;  // the summary line
  expect_same_library(status_json(library, scratch / "again-status"), reference);
}

// Read errors on the library's own files: each command ends with a clear error (exit 2, no signal) and the library
// is intact afterwards.
TEST(Faults, ReadErrorsOnTheLibraryFailCleanlyAndDamageNothing) {
  const fs::path scratch = fstest::scratch_dir("faults-read-library");
  const fs::path photos = copy_shared_photos(scratch, "faceapi_bbt");
  const fs::path library = scratch / "lib";
  ASSERT_TRUE(fstest::exited_ok(
      run_facesearch({"--library", library.string(), "index", photos.string()}, scratch / "index").status));
  const json before = status_json(library, scratch / "before");
  const std::string query = (photos / "identities" / "amy" / "amy1.png").string();
  {
    ReadErrorsOn faults((library / "catalog").string());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"status"}, {"search", "-q", query, "--json"}, {"index", photos.string()}, {"people", "cluster"}}) {
      std::vector<std::string> full{"--library", library.string()};
      full.insert(full.end(), args.begin(), args.end());
      const Child run = run_facesearch(full, scratch / ("faulty-" + args[0]));
      expect_no_signal(run);
      EXPECT_EQ(WEXITSTATUS(run.status), 2) << args[0] << ": " << run.err;
      EXPECT_NE(run.err.find("I/O error"), std::string::npos) << args[0] << ": " << run.err;
    }
  }
  expect_same_library(status_json(library, scratch / "after"), before);
  const Child search =
      run_facesearch({"--library", library.string(), "search", "-q", query, "--json"}, scratch / "search-after");
  ASSERT_TRUE(fstest::exited_ok(search.status)) << search.err;
  // One match a line; the query photo itself is the first.
  const json best = json::parse(search.out.substr(0, search.out.find('\n')));
  EXPECT_EQ(best["path"], query) << search.out;
}

// kill -9 of `serve` while its background index job writes: the next `index` completes the library, with no face
// lost or counted twice, and `serve` starts again on it.
TEST(Faults, KillServeDuringIndexJob) {
  const fs::path scratch = fstest::scratch_dir("faults-kill-serve");
  const fs::path photos = copy_shared_photos(scratch, "faceapi_bbt");
  const fs::path library = scratch / "lib";
  ASSERT_TRUE(fstest::exited_ok(
      run_facesearch({"--library", library.string(), "index", (photos / "SOURCE.txt").string()}, scratch / "init")
          .status));
  {
    ServeChild serve({"--library", library.string(), "serve", "--port", "0"}, scratch / "serve");
    httplib::Client client = serve.client();
    // Killed once some images are written and others are not.
    const json job = run_index_job(client, photos, [](const json& j) { return j["done"].get<int>() >= 5; });
    ASSERT_EQ(job["state"], "running") << "the job ended before it could be interrupted: " << job.dump();
    const int status = serve.kill_now();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  const Child again = run_facesearch({"--library", library.string(), "index", photos.string()}, scratch / "again");
  ASSERT_TRUE(fstest::exited_ok(again.status)) << again.err;
  expect_same_library(status_json(library, scratch / "after"), clean_status(scratch, photos));

  ServeChild restarted({"--library", library.string(), "serve", "--port", "0"}, scratch / "restarted");
  auto status = restarted.client().Get("/api/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  EXPECT_TRUE(fstest::exited_ok(restarted.stop()));
}
