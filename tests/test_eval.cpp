// `facesearch eval` as a user runs it: LFW on a 10-fold subset of the protocol (the full 6,000 pairs run once, in
// test_lfw, through the same code), search metrics on a folder-per-person set, and `eval pairs` on a hand-made
// pairs file and on the CFP development half (frontal-frontal and frontal-profile).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "eval/evaluate.hpp"
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

namespace {

// ../shared/data/cfp_dev: images/NNN/{frontal,profile}/NN.jpg, pairs_ff.txt and pairs_fp.txt (5 folds of 700
// consecutive pairs: 350 same, then 350 different).
fs::path cfp_dev() {
  const fs::path dir = fstest::shared_data() / "cfp_dev";
  for (const char* part : {"pairs_ff.txt", "pairs_fp.txt", "images"})
    if (!fs::exists(dir / part))
      throw std::runtime_error("CFP development set incomplete: '" + (dir / part).string() +
                               "' is missing (these tests need ../shared/data/cfp_dev, see its SOURCE.txt)");
  return dir;
}

// A pairs folder: a few one-person deepface_testset photos copied in, and a text file that is no image.
fs::path hand_made_pairs_dir(const std::vector<std::string>& lines) {
  const fs::path deepface = fstest::shared_data() / "deepface_testset";
  const fs::path dir = fstest::scratch_dir("eval-pairs-hand-made");
  for (const char* photo : {"id01_Angelina_Jolie/img1.jpg", "id01_Angelina_Jolie/img2.jpg", "id01_Angelina_Jolie/img4.jpg",
                            "id02/img3.jpg", "id02/img12.jpg", "id03/img8.jpg", "id03/img9.jpg"}) {
    fs::create_directories((dir / "photos" / photo).parent_path());
    fs::copy_file(deepface / photo, dir / "photos" / photo);
  }
  std::ofstream(dir / "photos" / "notes.txt") << "not a photo\n";
  std::ofstream pairs(dir / "pairs.txt");
  for (const auto& line : lines) pairs << line << '\n';
  return dir;
}

}  // namespace

TEST(EvalPairs, HandMadePairsKnownAnswers) {
  const std::vector<std::string> lines = {
      "# same person, then different people, then a file that is no photo",
      "id01_Angelina_Jolie/img1.jpg\tid01_Angelina_Jolie/img2.jpg\t1",
      "id01_Angelina_Jolie/img1.jpg\tid01_Angelina_Jolie/img4.jpg\t1",
      "id02/img3.jpg\tid02/img12.jpg\t1",
      "id03/img8.jpg\tid03/img9.jpg\t1",
      "id01_Angelina_Jolie/img1.jpg\tid02/img3.jpg\t0",
      "id01_Angelina_Jolie/img2.jpg\tid03/img8.jpg\t0",
      "id02/img12.jpg\tid03/img9.jpg\t0",
      "id01_Angelina_Jolie/img4.jpg\tid03/img9.jpg\t0",
      "",
      "notes.txt\tid02/img3.jpg\t1",
  };
  const fs::path dir = hand_made_pairs_dir(lines);
  facesearch::PairsEvalOptions options;
  options.jobs = 2;
  const auto e = facesearch::evaluate_pairs(dir / "pairs.txt", dir / "photos", options);
  ASSERT_EQ(e.pairs, 9u);
  EXPECT_EQ(e.same_pairs, 5u);
  EXPECT_EQ(e.different_pairs, 4u);
  EXPECT_EQ(e.images, 8u);  // each photo analysed once although most are in several pairs
  EXPECT_EQ(e.unreadable, 1u);
  EXPECT_EQ(e.images_without_face, 1u);
  EXPECT_EQ(e.pairs_missing_face, 1u);
  EXPECT_EQ(e.folds, 9);  // fewer than 10 pairs: one interleaved fold per pair
  for (std::size_t i = 0; i < 8; ++i) {
    std::printf("pair %zu (%s): similarity %.3f\n", i, e.same[i] ? "same" : "different", e.scores[i]);
    EXPECT_FALSE(e.missing[i]);
    // Same person: above the default pack's threshold (0.34; measured 0.44-0.71 with profile, 0.40-0.77 with
    // frontal); different: below 0.2 (-0.11-0.13; frontal -0.11-0.10).
    if (e.same[i])
      EXPECT_GT(e.scores[i], 0.34f) << lines[i + 1];
    else
      EXPECT_LT(e.scores[i], 0.2f) << lines[i + 1];
  }
  EXPECT_TRUE(e.missing[8]);
  // The pair without a face is a wrong answer whatever the threshold; the 8 others separate perfectly.
  EXPECT_NEAR(e.verification.accuracy, 8.0 / 9.0, 1e-9);
  EXPECT_DOUBLE_EQ(e.verification_found.accuracy, 1.0);
  EXPECT_GT(e.ms_per_image, 0.0);

  // The CLI: JSON with the same counts; a malformed line is an error naming the file and line.
  CliRun r = run_cli("eval pairs --json --pairs " + q(dir / "pairs.txt") + " --images " + q(dir / "photos"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pairs_missing_face"], 1);
  EXPECT_NEAR(j["missing_share"].get<double>(), 1.0 / 9.0, 1e-4);
  EXPECT_EQ(j["fold_threshold"].size(), 9u);
  std::ofstream(dir / "bad.txt") << "id02/img3.jpg\tid02/img12.jpg\t1\nid02/img3.jpg id02/img12.jpg 1\n";
  CliRun bad = run_cli("eval pairs --pairs " + q(dir / "bad.txt") + " --images " + q(dir / "photos"));
  EXPECT_EQ(bad.exit_code, 2);
  std::ifstream err(fs::path(FACESEARCH_BINARY_DIR) / "test-eval-stderr.txt");
  const std::string message((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_NE(message.find("bad.txt:2: expected 'photo_a<TAB>photo_b<TAB>1|0'"), std::string::npos) << message;
  // A photo that is not there is a wrong folder, not a missing face.
  std::ofstream(dir / "absent.txt") << "id02/img3.jpg\tid02/nope.jpg\t1\nid02/img3.jpg\tid02/img12.jpg\t1\n";
  EXPECT_THROW(facesearch::evaluate_pairs(dir / "absent.txt", dir / "photos", options), std::runtime_error);
}

namespace {

// The full CFP protocol (5 folds, ~2,400-2,900 photos) takes ~100-120 s per file on 2 busy cores; `make test` runs
// its first 3 folds (2,100 pairs, subjects 001-150) through `eval pairs --json --folds 700` and prints the numbers.
// docs/MODELS.md has the whole protocol, measured with the same command.
constexpr int kCfpFolds = 3;

// The first `folds` folds of a CFP protocol through `eval pairs` with `pack` (empty: the default pack).
nlohmann::json cfp_protocol(const std::string& pairs_file, const std::string& pack = "", int folds = kCfpFolds) {
  const fs::path cfp = cfp_dev();
  const fs::path subset = fstest::scratch_dir("eval-pairs-cfp-" + pack + pairs_file) / pairs_file;
  {
    std::ifstream in(cfp / pairs_file);
    std::ofstream out(subset);
    std::string line;
    for (int n = 0; n < folds * 700 && std::getline(in, line); ++n) out << line << '\n';
  }
  const std::string pack_option = pack.empty() ? "" : "--pack " + pack + " ";
  CliRun r = run_cli(pack_option + "eval pairs --json --folds 700 --pairs " + q(subset) + " --images " +
                     q(cfp / "images"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  std::printf("%s%s, folds 1-%d: accuracy %.2f%% +- %.2f (both faces %.2f%%), pairs missing a face %d (%.2f%%), "
              "TAR %.4f @ FAR 1e-3, %.1f ms per photo, %.1f s\n%s\n",
              (pack.empty() ? std::string() : pack + " ").c_str(), pairs_file.c_str(), folds, 100 * j["accuracy"].get<double>(), 100 * j["accuracy_std"].get<double>(),
              100 * j["accuracy_found"].get<double>(), j["pairs_missing_face"].get<int>(),
              100 * j["missing_share"].get<double>(), j["tar_at_far"][0]["tar"].get<double>(),
              j["ms_per_image"].get<double>(), j["seconds"].get<double>(), r.out.c_str());
  ::testing::Test::RecordProperty(pack + pairs_file + "_accuracy", std::to_string(j["accuracy"].get<double>()));
  ::testing::Test::RecordProperty(pack + pairs_file + "_missing_share",
                                  std::to_string(j["missing_share"].get<double>()));
  EXPECT_EQ(j["pairs"], folds * 700);
  EXPECT_EQ(j["same_pairs"], folds * 350);
  EXPECT_EQ(j["folds"], folds);
  EXPECT_EQ(j["fold_accuracy"].size(), static_cast<std::size_t>(folds));
  EXPECT_EQ(j["unreadable"], 0);
  return j;
}

}  // namespace

// Regression floors of the default pack (`profile` since issue 17), full pipeline, folds 1-3 (2,100 pairs).
// Measured 2026-12-01 with this build: frontal-frontal 98.62% with no pair missing a face, frontal-profile 83.00%
// with 0.29% (6 pairs) missing; the previous default (`frontal`) gave 98.05% / 0.48% and 68.24% / 15.76% on the
// same folds (2026-11-30). Floors: frontal-profile 1 point below the measurement; frontal-frontal 98.15%, between
// the two packs (0.47 point of slack), so the old pipeline would not pass either test; missing faces at most 1%
// (issue 17's limit), and none expected between two frontal photos (0.5%: 10 pairs). Issue 17's frontal-profile
// target (93%) is not reached: the recogniser is the limit (docs/MODELS.md, "The `profile` pack").
TEST(EvalPairs, CfpFrontalFrontal) {
  const auto j = cfp_protocol("pairs_ff.txt");
  EXPECT_GE(j["accuracy"].get<double>(), 0.9815);
  EXPECT_LE(j["missing_share"].get<double>(), 0.005);
}

TEST(EvalPairs, CfpFrontalProfile) {
  const auto j = cfp_protocol("pairs_fp.txt");
  EXPECT_GE(j["accuracy"].get<double>(), 0.8200);
  EXPECT_LE(j["missing_share"].get<double>(), 0.01);
}

// `--pack frontal` is the previous default, unchanged (issue 17): folds 1-2 of frontal-profile (1,400 pairs) give
// what the old default gave there, measured 2026-12-01 before the switch: 68.29% with 14.50% of the pairs (203)
// missing a face (docs/MODELS.md, "The `profile` pack"; after the switch `--pack frontal` gave exactly that again).
// Both ways within 1 point of accuracy and 0.5 point of
// missing pairs: a frontal pack that gained the BlazeFace stage (or lost the landmarker) would miss far fewer faces.
TEST(EvalPairs, FrontalPackIsThePreviousDefault) {
  const auto j = cfp_protocol("pairs_fp.txt", "frontal", 2);
  EXPECT_NEAR(j["accuracy"].get<double>(), 0.6829, 0.01);
  EXPECT_NEAR(j["missing_share"].get<double>(), 0.1450, 0.005);
}
