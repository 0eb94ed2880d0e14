// `facesearch eval` as a user runs it: LFW on a 10-fold subset of the protocol (the full 6,000 pairs run once, in
// test_lfw, through the same code) and search metrics on a folder-per-person set.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "eval/metrics.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using CliRun = fstest::CommandRun;

CliRun run_cli(const std::string& args) {
  return fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch " + args + " 2>" +
                             (fs::path(FACESEARCH_BINARY_DIR) / "test-eval-stderr.txt").string());
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// The first `per` same and `per` different pairs of each of the 10 folds of the real pairs.txt.
fs::path lfw_subset(const fs::path& pairs_txt, int per, const fs::path& out_dir) {
  std::ifstream in(pairs_txt);
  int folds = 0, n = 0;
  in >> folds >> n;
  std::string line;
  std::getline(in, line);
  const fs::path out_path = out_dir / "pairs.txt";
  std::ofstream out(out_path);
  out << folds << '\t' << per << '\n';
  for (int f = 0; f < folds; ++f) {
    for (int half = 0; half < 2; ++half) {
      for (int k = 0; k < n; ++k) {
        std::getline(in, line);
        if (k < per) out << line << '\n';
      }
    }
  }
  return out_path;
}

}  // namespace

TEST(EvalCli, LfwSubsetJsonAndRoc) {
  const fs::path lfw = fstest::shared_data() / "lfw_aligned112_pairs";
  const fs::path dir = fstest::scratch_dir("eval-lfw");
  const fs::path pairs = lfw_subset(lfw / "pairs.txt", 15, dir);
  ASSERT_EQ(facesearch::read_lfw_pairs(pairs).size(), 300u);
  const fs::path roc = dir / "roc.csv";
  CliRun r = run_cli("eval lfw --aligned --json --pairs " + q(pairs) + " --images " + q(lfw / "images") + " --roc " +
                     q(roc));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pairs"], 300);
  EXPECT_EQ(j["images_without_face"], 0);
  EXPECT_EQ(j["fold_accuracy"].size(), 10u);
  // The default pack is a 99% model: on 300 easy-to-hard protocol pairs it must stay well above chance.
  EXPECT_GE(j["accuracy"].get<double>(), 0.95);
  EXPECT_GT(j["threshold"].get<double>(), 0.0);
  ASSERT_EQ(j["tar_at_far"].size(), 2u);
  ASSERT_EQ(j["all_pairs"]["tar_at_far"].size(), 3u);
  // Stricter FAR, higher threshold.
  const auto& cal = j["all_pairs"]["tar_at_far"];
  EXPECT_LE(cal[0]["threshold"].get<double>(), cal[1]["threshold"].get<double>());
  EXPECT_LE(cal[1]["threshold"].get<double>(), cal[2]["threshold"].get<double>());
  EXPECT_GT(j["all_pairs"]["different"].get<long>(), 10000);

  std::ifstream csv(roc);
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header, "threshold,far,tar");
  size_t rows = 0;
  double last_far = 0, last_tar = 0;
  while (std::getline(csv, line)) {
    double t, far, tar;
    char c1, c2;
    std::istringstream ls(line);
    ASSERT_TRUE(ls >> t >> c1 >> far >> c2 >> tar) << line;
    EXPECT_GE(far, last_far);
    EXPECT_GE(tar, last_tar);
    last_far = far;
    last_tar = tar;
    ++rows;
  }
  EXPECT_GT(rows, 250u);
  EXPECT_DOUBLE_EQ(last_far, 1.0);
  EXPECT_DOUBLE_EQ(last_tar, 1.0);
}

TEST(EvalCli, SearchOnFolderPerPerson) {
  const fs::path labels = fstest::shared_data() / "faceapi_bbt" / "identities";
  CliRun r = run_cli("eval search --json --labels " + q(labels));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  std::printf("%s\n", r.out.c_str());
  EXPECT_EQ(j["persons"], 8);
  EXPECT_EQ(j["images"], 40);
  EXPECT_GE(j["queries"].get<int>(), 32);  // at most a few 150 px crops without a detected face
  EXPECT_GE(j["rank1"].get<double>(), 0.8);
  EXPECT_GE(j["map"].get<double>(), 0.6);
  EXPECT_GT(j["precision"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(j["threshold"].get<double>(), 0.34);
  const double tp = j["true_accepts"], fp = j["false_accepts"], fn = j["false_rejects"];
  EXPECT_NEAR(j["precision"].get<double>(), tp / (tp + fp), 1e-4);
  EXPECT_NEAR(j["recall"].get<double>(), tp / (tp + fn), 1e-4);

  CliRun bad = run_cli("eval search --labels " + q(fstest::scratch_dir("eval-empty")));
  EXPECT_EQ(bad.exit_code, 2);
}
