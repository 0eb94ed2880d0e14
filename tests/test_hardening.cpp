// Issue 13, hostile conditions end to end through the built `facesearch`: one test per failure class, named after
// it. No process may die by a signal; every refusal says why.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "hardening_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace hardening;

namespace {

// The faceapi_bbt photos (53 files, 1.6 MB) copied into a scratch folder.
fs::path copy_photos(const fs::path& scratch) { return copy_shared_photos(scratch, "faceapi_bbt"); }

json status_of(const fs::path& library) {
  const auto run = fstest::run_command(binary() + " --library '" + library.string() + "' status --json 2>/dev/null");
  EXPECT_EQ(run.exit_code, 0);
  return json::parse(run.out);
}

}  // namespace

// Class 1: a storage error (disk full: here a file size limit, which makes writes fail with EFBIG) during a
// multi-threaded index ends the process cleanly with a reason, and the next run completes the library.
TEST(Hardening, Class1StorageErrorInWorkersFailsCleanly) {
  const fs::path scratch = fstest::scratch_dir("hardening-class1-cli");
  const fs::path photos = copy_photos(scratch);
  const fs::path library = scratch / "lib";
  const Child run = run_facesearch({"--library", library.string(), "index", photos.string(), "--jobs", "2"},
                                   scratch / "limited", /*file_size_limit=*/300000);
  ASSERT_TRUE(WIFEXITED(run.status)) << "killed by signal " << WTERMSIG(run.status);
  EXPECT_EQ(WEXITSTATUS(run.status), 2);
  EXPECT_NE(run.err.find("is the disk full?"), std::string::npos) << run.err;

  // Without the limit the same command finishes, and the library equals one indexed in a single clean run.
  const Child again = run_facesearch({"--library", library.string(), "index", photos.string(), "--jobs", "2"},
                                     scratch / "again");
  ASSERT_TRUE(fstest::exited_ok(again.status)) << again.err;
  const fs::path clean = scratch / "clean";
  ASSERT_TRUE(fstest::exited_ok(
      run_facesearch({"--library", clean.string(), "index", photos.string()}, scratch / "clean-run").status));
  const json repaired = status_of(library), reference = status_of(clean);
  EXPECT_EQ(repaired["images"], reference["images"]);
  EXPECT_EQ(repaired["faces"], reference["faces"]);
  EXPECT_GT(reference["faces"].get<int>(), 30);
}

// Class 1 in `serve`: the same error inside a background index job is reported in the job's status; the server
// goes on answering and stops cleanly.
TEST(Hardening, Class1StorageErrorInServeIndexJobIsReported) {
  const fs::path scratch = fstest::scratch_dir("hardening-class1-serve");
  const fs::path photos = copy_photos(scratch);
  const fs::path library = scratch / "lib";
  // The library exists before the limit applies (serve opens it; the index job is what must fail).
  ASSERT_TRUE(fstest::exited_ok(
      run_facesearch({"--library", library.string(), "index", (photos / "SOURCE.txt").string()}, scratch / "init")
          .status));
  ServeChild serve({"--library", library.string(), "serve", "--port", "0"}, scratch / "serve", 300000);
  httplib::Client client = serve.client();
  const json job = run_index_job(client, photos);
  EXPECT_EQ(job["state"], "failed") << job.dump();
  EXPECT_NE(job.value("error", "").find("is the disk full?"), std::string::npos) << job.dump();
  auto status = client.Get("/api/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  const int exit_status = serve.stop();
  EXPECT_TRUE(fstest::exited_ok(exit_status)) << "serve ended with status " << exit_status;
}

namespace {

// facesearch with these arguments; exit code (a signal fails the test) and stderr.
Child checked_run(const std::vector<std::string>& args, const fs::path& stem) {
  Child run = run_facesearch(args, stem);
  EXPECT_TRUE(WIFEXITED(run.status)) << "killed by signal " << WTERMSIG(run.status);
  return run;
}

std::vector<std::uint8_t> png_of(int width, int height) {
  std::vector<std::uint8_t> bytes;
  cv::imencode(".png", cv::Mat(height, width, CV_8UC3, cv::Scalar(90, 120, 150)), bytes);
  return bytes;
}

}  // namespace

// Class 6: NaN, infinities, overflow, negative counts and fractions are refused by every option check with the
// option's name; a 1x12000 strip is analysed (no faces), not an OpenCV assertion; the API checks the same way.
TEST(Hardening, Class6UncheckedNumbersAreRefused) {
  const fs::path scratch = fstest::scratch_dir("hardening-class6");
  const fs::path strip = scratch / "strip.png", tall = scratch / "tall.png";
  fstest::write_file(strip, png_of(12000, 1));
  fstest::write_file(tall, png_of(1, 12000));
  const std::vector<std::vector<std::string>> bad = {
      {"--threshold", "nan"}, {"--threshold", "inf"}, {"--threshold", "1e300"}, {"--top", "-5"},
      {"--top", "1.5"},       {"--top", "99999999999999999999999"},           {"--max-megapixels", "nan"},
      {"--max-megapixels", "1e300"}, {"--max-megapixels", "0"}, {"--min-face", "-1"}, {"--jobs", "0"},
      {"--video-fps", "inf"}};
  for (const auto& option : bad) {
    std::vector<std::string> args = {"scan", "-q", strip.string(), "-t", tall.string(), option[0], option[1]};
    const Child run = checked_run(args, scratch / "bad");
    EXPECT_EQ(WEXITSTATUS(run.status), 2) << option[0] << " " << option[1];
    EXPECT_NE(run.err.find(option[0] + ": the value must be"), std::string::npos) << run.err;
  }

  const Child faces = checked_run({"faces", "--json", strip.string(), tall.string()}, scratch / "faces");
  EXPECT_EQ(WEXITSTATUS(faces.status), 0) << faces.err;
  std::istringstream lines(faces.out);
  int analysed = 0;
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line);
    EXPECT_FALSE(j.contains("error")) << line;
    EXPECT_TRUE(j["faces"].empty());
    ++analysed;
  }
  EXPECT_EQ(analysed, 2);

  ServeChild serve({"--library", (scratch / "lib").string(), "serve", "--port", "0"}, scratch / "serve");
  httplib::Client client = serve.client();
  for (const std::string body : {R"({"face_id": 1, "top": 1.5})", R"({"face_id": 1e30})", R"({"face_id": -1})",
                                 R"({"face_id": 1, "top": -5})", R"({"face_id": 1, "threshold": 2})",
                                 R"({"face_id": 18446744073709551615})"}) {
    auto res = client.Post("/api/search", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body << " -> " << res->body;
  }
  for (const std::string threshold : {"nan", "inf", "-1e300", "0.5x"}) {
    httplib::MultipartFormDataItems form = {{"face_id", "1", "", ""}, {"threshold", threshold, "", ""}};
    auto res = client.Post("/api/search", form);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << threshold << " -> " << res->body;
  }
  const auto strip_bytes = png_of(12000, 1);
  httplib::MultipartFormDataItems upload = {
      {"image", std::string(strip_bytes.begin(), strip_bytes.end()), "strip.png", "image/png"}};
  auto res = client.Post("/api/search", upload);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(json::parse(res->body)["query"]["faces"].empty());
  EXPECT_TRUE(fstest::exited_ok(serve.stop()));
}

// Class 2, whole pipeline: the largest photo the default pixel limit lets through (99 MP, PNG: no reduced decoding)
// is analysed by a fresh `facesearch` whose peak memory, as the kernel counts it, stays under 1 GB.
TEST(Hardening, Class2PeakMemoryWithinPixelLimitUnder1GB) {
  const fs::path scratch = fstest::scratch_dir("hardening-class2");
  const fs::path big = scratch / "99mp.png";
  {
    std::vector<std::uint8_t> bytes;
    cv::Mat pixels(9950, 9950, CV_8UC3, cv::Scalar(60, 110, 170));
    cv::rectangle(pixels, {1000, 1000, 3000, 2000}, cv::Scalar(200, 30, 90), cv::FILLED);
    cv::imencode(".png", pixels, bytes);
    fstest::write_file(big, bytes);
  }
  const Child run = run_facesearch({"faces", "--json", "--jobs", "1", big.string()}, scratch / "faces");
  ASSERT_TRUE(fstest::exited_ok(run.status)) << run.err;
  EXPECT_EQ(json::parse(run.out)["width"], 9950) << run.out;
  EXPECT_LT(run.peak_rss_kib, 1024L * 1024) << "peak RSS " << run.peak_rss_kib / 1024 << " MiB";
  std::printf("peak RSS analysing a 99 MP PNG: %ld MiB\n", run.peak_rss_kib / 1024);
}

namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

// Class 3: a file name that is not UTF-8 goes through every --json output and the API: "path" readable (U+FFFD
// for the bad bytes), "path_bytes" the exact name in hex; a library of either backend keeps the exact name.
void non_utf8_file_names(const std::string& backend) {
  const fs::path scratch = fstest::scratch_dir("hardening-class3-" + backend);
  const fs::path photos = scratch / "photos";
  fs::create_directories(photos);
  const fs::path source = fstest::shared_data() / "faceapi_bbt" / "identities" / "amy" / "amy1.png";
  const fs::path odd = photos / std::string("amy\xff\xfe latin1 caf\xe9.png");
  fs::copy_file(source, odd);
  fs::copy_file(source, photos / "amy-plain.png");
  const std::string library = fstest::new_library(backend, scratch, "class3");

  auto check_record = [&](const json& j) {
    ASSERT_TRUE(j.contains("path")) << j.dump();
    if (j.contains("path_bytes")) {
      EXPECT_EQ(from_hex(j["path_bytes"]), odd.string());
      EXPECT_NE(j["path"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
    } else {
      EXPECT_EQ(fs::path(j["path"].get<std::string>()).filename(), "amy-plain.png");
    }
  };
  auto check_lines = [&](const Child& run, std::size_t expected) {
    ASSERT_TRUE(fstest::exited_ok(run.status)) << run.err;
    std::istringstream lines(run.out);
    std::size_t count = 0, with_bytes = 0;
    for (std::string line; std::getline(lines, line); ++count) {
      const json j = json::parse(line);
      check_record(j);
      with_bytes += j.contains("path_bytes");
    }
    EXPECT_EQ(count, expected) << run.out;
    EXPECT_EQ(with_bytes, 1u) << run.out;
  };
  check_lines(run_facesearch({"faces", "--json", photos.string()}, scratch / "faces"), 2);
  check_lines(run_facesearch({"scan", "--json", "-q", source.string(), "-t", photos.string()}, scratch / "scan"), 2);
  // Indexed twice: the second run finds the odd name unchanged (no duplicate, nothing re-read).
  for (const std::string run : {"index1", "index2"}) {
    const Child index = run_facesearch({"--library", library, "index", photos.string()}, scratch / run);
    ASSERT_TRUE(fstest::exited_ok(index.status)) << index.err;
    if (run == "index2") {
      EXPECT_NE(index.err.find("2 files: 0 new, 0 changed, 2 unchanged"), std::string::npos) << index.err;
    }
  }
  check_lines(run_facesearch({"--library", library, "search", "--json", "-q", source.string()}, scratch / "search"),
              2);

  ServeChild serve({"--library", library, "serve", "--port", "0"}, scratch / "serve");
  httplib::Client client = serve.client();
  auto res = client.Post("/api/search", R"({"face_id": 1})", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json matches = json::parse(res->body)["matches"];
  ASSERT_EQ(matches.size(), 2u);
  for (const auto& m : matches) {
    check_record(m);
    auto image = client.Get("/api/images/" + std::to_string(m["image_id"].get<int>()) + "/faces");
    ASSERT_TRUE(image);
    EXPECT_EQ(image->status, 200) << image->body;
    check_record(json::parse(image->body));
  }
  EXPECT_TRUE(fstest::exited_ok(serve.stop()));

  // Forgetting the odd name by its exact bytes leaves the plain one.
  ASSERT_TRUE(fstest::exited_ok(run_facesearch({"--library", library, "forget", odd.string()}, scratch / "forget").status));
  const Child left = run_facesearch({"--library", library, "search", "--json", "-q", source.string()}, scratch / "left");
  ASSERT_TRUE(fstest::exited_ok(left.status)) << left.err;
  ASSERT_EQ(std::count(left.out.begin(), left.out.end(), '\n'), 1) << left.out;
  EXPECT_EQ(fs::path(json::parse(left.out)["path"].get<std::string>()).filename(), "amy-plain.png");
}

}  // namespace

TEST(Hardening, Class3NonUtf8FileNamesInJson) { non_utf8_file_names("sqlite"); }

// A PostgreSQL database is UTF-8 and refuses other text: the library stores such names escaped
// (library/postgres/pg_path_text.hpp) and gives back the exact bytes.
TEST(Hardening, Class3NonUtf8FileNamesInAPostgresLibrary) { non_utf8_file_names("postgres"); }
