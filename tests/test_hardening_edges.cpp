// Issue 13, class 7: rough edges of everyday use, through the built `facesearch`.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "hardening_support.hpp"
#include "models/model_pack.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace hardening;

namespace {

fs::path amy_photos(const fs::path& scratch) {
  return copy_shared_photos(scratch, fs::path("faceapi_bbt") / "identities" / "amy");
}

json status(const fs::path& library, const fs::path& stem) {
  const Child run = run_facesearch({"--library", library.string(), "status", "--json"}, stem);
  EXPECT_TRUE(fstest::exited_ok(run.status)) << run.err;
  return json::parse(run.out);
}

void index(const fs::path& library, const fs::path& photos, const fs::path& stem) {
  const Child run = run_facesearch({"--library", library.string(), "index", photos.string()}, stem);
  ASSERT_TRUE(fstest::exited_ok(run.status)) << run.err;
}

}  // namespace

TEST(Hardening, Class7ForgetRootForgetsEverything) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-forget");
  const fs::path library = scratch / "lib";
  index(library, amy_photos(scratch), scratch / "index");
  ASSERT_EQ(status(library, scratch / "before")["images"], 5);
  const Child forget = run_facesearch({"--library", library.string(), "forget", "/"}, scratch / "forget");
  ASSERT_TRUE(fstest::exited_ok(forget.status)) << forget.err;
  EXPECT_EQ(status(library, scratch / "after")["images"], 0);
}

// A library the user may not write (read-only media, another user's folder): status and searches work, changes
// are refused with a reason.
TEST(Hardening, Class7ReadOnlyLibraryAnswersStatusAndSearch) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-readonly");
  const fs::path photos = amy_photos(scratch), library = scratch / "lib", models = scratch / "models";
  index(library, photos, scratch / "index");
  // The unprivileged user reads the default pack from here (the test's own cache may be private).
  fs::create_directories(models);
  fs::copy(facesearch::models_root() / facesearch::kDefaultPack, models / facesearch::kDefaultPack,
           fs::copy_options::recursive);
  for (const auto& p : fs::recursive_directory_iterator(scratch)) chmod(p.path().c_str(), p.is_directory() ? 0755 : 0644);
  chmod(library.c_str(), 0555);
  const std::vector<std::string> common = {"--models", models.string(), "--library", library.string()};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), common.begin(), common.end());
    return args;
  };
  const Child st = run_facesearch_unprivileged(with({"status", "--json"}), scratch / "status");
  ASSERT_TRUE(fstest::exited_ok(st.status)) << st.err;
  EXPECT_EQ(json::parse(st.out)["images"], 5);
  const Child search = run_facesearch_unprivileged(with({"search", "--json", "-q", (photos / "amy1.png").string()}),
                                                   scratch / "search");
  ASSERT_TRUE(fstest::exited_ok(search.status)) << search.err;
  EXPECT_GE(std::count(search.out.begin(), search.out.end(), '\n'), 4);
  const Child forget = run_facesearch_unprivileged(with({"forget", photos.string()}), scratch / "forget");
  ASSERT_TRUE(WIFEXITED(forget.status));
  EXPECT_EQ(WEXITSTATUS(forget.status), 2);
  EXPECT_NE(forget.err.find("read-only"), std::string::npos) << forget.err;
  chmod(library.c_str(), 0755);
}

// A second `index` of a library being indexed says by which process and waits for it (no raw "database is
// locked", no lost work): both finish, and the library equals one indexed in a single run.
TEST(Hardening, Class7SecondIndexSaysWhoIsIndexing) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-concurrent");
  const fs::path photos = scratch / "photos", library = scratch / "lib";
  fs::copy(fstest::shared_data() / "faceapi_bbt", photos, fs::copy_options::recursive);
  index(library, photos / "SOURCE.txt", scratch / "init");
  const pid_t first = start_facesearch({"--library", library.string(), "index", "--jobs", "1", photos.string()},
                                       scratch / "first");
  const fs::path lock = library / "index.lock";
  std::string holder;
  for (int i = 0; i < 200 && holder != std::to_string(first); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(lock);
    std::getline(in, holder);
  }
  ASSERT_EQ(holder, std::to_string(first)) << "the first index never took the lock";
  const Child second = run_facesearch({"--library", library.string(), "index", photos.string()}, scratch / "second");
  EXPECT_TRUE(fstest::exited_ok(second.status)) << second.err;
  EXPECT_NE(second.err.find("waiting: the library " + library.string() + " is being indexed by process " +
                            std::to_string(first)),
            std::string::npos)
      << second.err;
  int first_status = 0;
  waitpid(first, &first_status, 0);
  EXPECT_TRUE(fstest::exited_ok(first_status));
  const fs::path reference = scratch / "reference";
  index(reference, photos, scratch / "reference-index");
  const json got = status(library, scratch / "status"), want = status(reference, scratch / "reference-status");
  EXPECT_EQ(got["images"], want["images"]);
  EXPECT_EQ(got["faces"], want["faces"]);
  EXPECT_EQ(got["unusable"], want["unusable"]);
}

// (A NUL cannot pass through argv; over HTTP it is refused as a control character like the others.)
// --quiet: nothing on stderr, not even libjpeg's own warnings about a corrupt file; errors still show.
TEST(Hardening, Class7QuietSilencesImageLibraries) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-quiet");
  auto bytes = fstest::read_file(fstest::shared_data() / "deepface_testset" / "id12" / "img34.jpg");
  std::size_t scan = 0;
  for (std::size_t i = 0; i + 1 < bytes.size() && !scan; ++i)
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xDA) scan = i;
  ASSERT_GT(scan, 0u);
  std::vector<std::uint8_t> junk = {0xFF, 0xD0, 0xFF, 0xD0, 0xFF, 0xD0};
  junk.resize(206, 0x13);
  bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(scan + 3000), junk.begin(), junk.end());
  const fs::path corrupt = scratch / "corrupt.jpg";
  fstest::write_file(corrupt, bytes);
  const Child loud = run_facesearch({"faces", corrupt.string()}, scratch / "loud");
  EXPECT_NE(loud.err.find("Corrupt JPEG data"), std::string::npos) << "the file no longer makes libjpeg warn: " << loud.err;
  const Child quiet = run_facesearch({"faces", "--quiet", corrupt.string()}, scratch / "quiet");
  EXPECT_TRUE(fstest::exited_ok(quiet.status));
  EXPECT_EQ(quiet.err, "");
  const Child failing = run_facesearch({"--quiet", "status", "--library", (scratch / "none").string()}, scratch / "err");
  EXPECT_NE(failing.err.find("error: "), std::string::npos) << "errors must still be printed under --quiet";
}

TEST(Hardening, Class7PersonNamesRefuseControlCharacters) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-names");
  const fs::path library = scratch / "lib";
  index(library, amy_photos(scratch), scratch / "index");
  ASSERT_TRUE(fstest::exited_ok(
      run_facesearch({"--library", library.string(), "people", "cluster"}, scratch / "cluster").status));
  for (const std::string& name : std::vector<std::string>{"Amy\x1b[2J", "Amy\nFarrah", "Amy\x7f", "Amy\xff"}) {
    const Child run = run_facesearch({"--library", library.string(), "people", "name", "1", name}, scratch / "bad");
    ASSERT_TRUE(WIFEXITED(run.status));
    EXPECT_EQ(WEXITSTATUS(run.status), 2) << name;
  }
  const Child ok = run_facesearch({"--library", library.string(), "people", "name", "1", "Amy Farrah Fowler"},
                                  scratch / "ok");
  EXPECT_TRUE(fstest::exited_ok(ok.status)) << ok.err;
}

// FIFOs and broken symbolic links inside a folder are reported with a reason (and never opened: a FIFO would block).
TEST(Hardening, Class7FifosAndBrokenSymlinksAreReported) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-special");
  const fs::path photos = amy_photos(scratch);
  ASSERT_EQ(mkfifo((photos / "pipe.jpg").c_str(), 0644), 0);
  fs::create_symlink(scratch / "gone.jpg", photos / "dangling.jpg");
  const Child faces = run_facesearch({"faces", "--json", photos.string()}, scratch / "faces");
  ASSERT_TRUE(fstest::exited_ok(faces.status)) << faces.err;
  std::map<std::string, std::string> errors;
  std::istringstream lines(faces.out);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line);
    if (j.contains("error")) errors[fs::path(j["path"].get<std::string>()).filename()] = j["error"];
  }
  EXPECT_EQ(errors["pipe.jpg"], "cannot read file: not a regular file");
  EXPECT_EQ(errors["dangling.jpg"], "broken symbolic link (its target does not exist)");
  const fs::path library = scratch / "lib";
  index(library, photos, scratch / "index");
  EXPECT_EQ(status(library, scratch / "status")["unusable"], 2);
}

// The server notices a photo changed since it was indexed by its size and mtime, not only its pixel size: a
// different photo of the same 150x150 size copied over it is refused (409), never shown as the indexed face.
TEST(Hardening, Class7ServerNoticesChangedFilesBySizeAndMtime) {
  const fs::path scratch = fstest::scratch_dir("hardening-class7-changed");
  const fs::path photos = amy_photos(scratch), library = scratch / "lib";
  index(library, photos, scratch / "index");
  ServeChild serve({"--library", library.string(), "serve", "--port", "0"}, scratch / "serve");
  httplib::Client client = serve.client();
  auto face = client.Get("/api/faces/1");
  ASSERT_TRUE(face);
  ASSERT_EQ(face->status, 200) << face->body;
  const json record = json::parse(face->body);
  const fs::path photo = record["path"].get<std::string>();
  const std::string image = "/api/images/" + std::to_string(record["image_id"].get<int>());
  ASSERT_EQ(client.Get("/api/faces/1/thumbnail")->status, 200);
  ASSERT_EQ(client.Get(image)->status, 200);
  const fs::path other = photo.filename() == "amy2.png" ? photos / "amy3.png" : photos / "amy2.png";
  fs::copy_file(other, photo, fs::copy_options::overwrite_existing);
  EXPECT_EQ(client.Get("/api/faces/1/thumbnail?size=161")->status, 409);
  EXPECT_EQ(client.Get("/api/faces/1/thumbnail")->status, 409) << "served from the cache after the file changed";
  EXPECT_EQ(client.Get(image)->status, 409);
  EXPECT_TRUE(fstest::exited_ok(serve.stop()));
}
