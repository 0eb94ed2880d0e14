// The command line as a user and other programs see it: exit codes and the --json contract (docs/CLI.md).
#include <gtest/gtest.h>

#include <algorithm>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using CliRun = fstest::CommandRun;

// Runs facesearch with the given arguments; stdout captured, stderr to a file next to the scratch dir.
CliRun facesearch(const std::string& args) {
  return fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch " + args + " 2>" +
                             (fs::path(FACESEARCH_BINARY_DIR) / "test-cli-stderr.txt").string());
}

using fstest::json_lines;

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace

TEST(Cli, ScanJsonContract) {
  const fs::path data = fstest::shared_data() / "deepface_testset";
  const fs::path query = data / "id01_Angelina_Jolie/img1.jpg";
  CliRun r = facesearch("scan --json -q " + quoted(query) + " -t " + quoted(data));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto lines = json_lines(r.out);
  ASSERT_GE(lines.size(), 9u);
  double previous = 2;
  for (const auto& m : lines) {
    ASSERT_TRUE(m.contains("path") && m.contains("similarity") && m.contains("box") && m.contains("landmarks") &&
                m.contains("score"))
        << m.dump();
    EXPECT_EQ(m["box"].size(), 4u);
    EXPECT_EQ(m["landmarks"].size(), 5u);
    EXPECT_LE(m["similarity"].get<double>(), previous);  // best first
    EXPECT_GE(m["similarity"].get<double>(), 0.34);       // the default threshold
    previous = m["similarity"].get<double>();
  }
  // The query itself comes first, then the other photos of the same person (she is also in two group photos).
  EXPECT_EQ(lines[0]["path"], query.string());
  EXPECT_NEAR(lines[0]["similarity"].get<double>(), 1.0, 1e-3);
  for (size_t i = 0; i < 10; ++i) {
    const auto path = lines[i]["path"].get<std::string>();
    EXPECT_TRUE(path.find("/id01_Angelina_Jolie/") != std::string::npos || path.find("/group/") != std::string::npos)
        << lines[i].dump();
  }

  auto top3 = json_lines(facesearch("scan --json --top 3 -q " + quoted(query) + " -t " + quoted(data)).out);
  EXPECT_EQ(top3.size(), 3u);
  auto strict = json_lines(facesearch("scan --json --threshold 0.99 -q " + quoted(query) + " -t " + quoted(data)).out);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0]["path"], query.string());
}

TEST(Cli, FacesJsonWithEmbeddings) {
  const fs::path photo = fstest::shared_data() / "faceapi_bbt/group/bbt4.jpg";
  CliRun r = facesearch("faces --json --embeddings " + quoted(photo));
  ASSERT_EQ(r.exit_code, 0);
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& img = lines[0];
  EXPECT_EQ(img["path"], photo.string());
  EXPECT_EQ(img["width"], 710);
  EXPECT_EQ(img["height"], 473);
  ASSERT_EQ(img["faces"].size(), 6u);  // face-api.js's own test expects 6 faces in this still
  for (const auto& f : img["faces"]) {
    ASSERT_EQ(f["embedding"].size(), 512u);
    double norm = 0;
    for (double v : f["embedding"]) norm += v * v;
    EXPECT_NEAR(norm, 1.0, 1e-3);
    EXPECT_GT(f["score"].get<double>(), 0.65);
    // Issue 17: pose and quality on every face (docs/CLI.md).
    ASSERT_TRUE(f["pose"].is_object()) << f.dump();
    for (const char* angle : {"yaw", "pitch", "roll"}) {
      EXPECT_GE(f["pose"][angle].get<double>(), -180.0) << f["pose"].dump();
      EXPECT_LE(f["pose"][angle].get<double>(), 180.0) << f["pose"].dump();
    }
    EXPECT_GT(f["quality"]["sharpness"].get<double>(), 0.0);
    EXPECT_EQ(f["quality"]["score"], f["score"]);
    const auto& box = f["box"];
    EXPECT_NEAR(f["quality"]["size"].get<double>(),
                std::max(box[2].get<double>() - box[0].get<double>(), box[3].get<double>() - box[1].get<double>()),
                0.2);
  }
  // --min-face drops the smaller faces.
  auto big = json_lines(facesearch("faces --json --min-face 200 " + quoted(photo)).out);
  EXPECT_LT(big[0]["faces"].size(), 6u);
}

TEST(Cli, ExitCodes) {
  const fs::path data = fstest::shared_data();
  const fs::path dir = fstest::scratch_dir("cli-exit");
  // A real photo region without a face (sky and a caption) as the query: exit 1.
  cv::Mat crowd = cv::imread((data / "group_photos/ultra_light_1mb/17.jpg").string());
  ASSERT_FALSE(crowd.empty());
  cv::imwrite((dir / "no-face.jpg").string(), crowd(cv::Rect(0, 0, 700, 180)));
  const std::string target = " -t " + quoted(data / "openface_examples");
  EXPECT_EQ(facesearch("scan -q " + quoted(dir / "no-face.jpg") + target).exit_code, 1);
  // A face number the query does not have: exit 1.
  EXPECT_EQ(facesearch("scan --query-face 7 -q " + quoted(data / "openface_examples/amy_adams/adams.jpg") + target)
                .exit_code,
            1);
  // Usage and input errors: exit 2.
  EXPECT_EQ(facesearch("scan -q " + quoted(dir / "missing.jpg") + target).exit_code, 2);
  EXPECT_EQ(facesearch("scan -q " + quoted(data / "openface_examples/amy_adams/adams.jpg") + " -t " +
                       quoted(dir / "no-such-folder"))
                .exit_code,
            2);
  EXPECT_EQ(facesearch("scan --threshold 3 -q x.jpg -t .").exit_code, 2);
  EXPECT_EQ(facesearch("scan --bogus").exit_code, 2);
  EXPECT_EQ(facesearch("").exit_code, 2);
  EXPECT_EQ(facesearch("--help").exit_code, 0);
  // Skipped files do not make a run fail.
  fstest::write_file(dir / "broken.jpg", {0xFF, 0xD8, 0xFF, 0x00});
  fs::copy_file(data / "openface_examples/amy_adams/adams.jpg", dir / "adams.jpg");
  CliRun r = facesearch("scan --json -q " + quoted(dir / "adams.jpg") + " -t " + quoted(dir));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(json_lines(r.out).size(), 1u);
}

// A long command line (a shell glob over a big folder) is no reason to crash: ONNX Runtime's telemetry once
// matched regular expressions against it with a recursion per character, and ~32 KB of arguments overflowed the
// stack (infer/ort_network.cpp). Ten paths of 4,000 characters to one photo here; the variable that turns the
// telemetry off is not inherited, so the program must turn it off itself.
TEST(Cli, ALongCommandLineDoesNotCrash) {
  const fs::path dir = fstest::scratch_dir("cli-long");
  fs::copy_file(fstest::shared_data() / "openface_examples/amy_adams/adams.jpg", dir / "adams.jpg");
  std::string long_path = dir.string();
  while (long_path.size() < 4000) long_path += "/.";
  long_path += "/adams.jpg";
  std::string args;
  for (int i = 0; i < 10; ++i) args += " " + quoted(fs::path(long_path));
  const CliRun r = fstest::run_command("env -u ORT_DISABLE_TELEMETRY " + std::string(FACESEARCH_BINARY_DIR) +
                                       "/facesearch faces --json" + args + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("\"faces\""), std::string::npos);
}

// --quiet means nothing on stderr but errors: not even the warnings libraries print for odd-but-valid files
// (this PNG carries a known-broken sRGB colour profile that libpng complains about).
TEST(Cli, QuietMeansQuiet) {
  const fs::path data = fstest::shared_data() / "facenet_pytorch_testimages";
  CliRun r = facesearch("--quiet faces --json " + quoted(data));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_GE(json_lines(r.out).size(), 5u);
  const auto err = fstest::read_file(fs::path(FACESEARCH_BINARY_DIR) / "test-cli-stderr.txt");
  EXPECT_EQ(std::string(err.begin(), err.end()), "");
}
