// The pure parts of `eval pairs` (unit tier: no photos, no models): the pairs file, the folds, k-fold accuracy
// with pairs that have no score.
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "eval/metrics.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

fs::path write_pairs(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("facesearch-test-eval-metrics-" + name);
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const fs::path& path) {
  try {
    read_image_pairs(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PairsFile, ReadsTabSeparatedLinesSkippingBlanksAndComments) {
  const fs::path path = write_pairs("ok.txt", "# header\n001/frontal/01.jpg\t001/profile/02.jpg\t1\r\n\n"
                                              "my photos/a b.jpg\tc.jpg\t0 \n");
  const auto pairs = read_image_pairs(path);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].a, "001/frontal/01.jpg");
  EXPECT_EQ(pairs[0].b, "001/profile/02.jpg");
  EXPECT_TRUE(pairs[0].same);
  EXPECT_EQ(pairs[1].a, "my photos/a b.jpg");  // spaces belong to the path
  EXPECT_FALSE(pairs[1].same);
  fs::remove(path);
}

TEST(PairsFile, MalformedLinesAreErrorsNamingTheLine) {
  for (const std::string bad : {"a.jpg b.jpg 1", "a.jpg\tb.jpg\tyes", "a.jpg\tb.jpg", "\tb.jpg\t1", "a.jpg\tb.jpg\t2"}) {
    const fs::path path = write_pairs("bad.txt", "a.jpg\tb.jpg\t1\n" + bad + "\n");
    const std::string error = error_of(path);
    EXPECT_NE(error.find("bad.txt:2: expected 'photo_a<TAB>photo_b<TAB>1|0'"), std::string::npos) << bad << ": " << error;
    fs::remove(path);
  }
  EXPECT_NE(error_of(write_pairs("empty.txt", "# nothing\n")).find("no pairs"), std::string::npos);
  EXPECT_NE(error_of("/nonexistent/pairs.txt").find("cannot read"), std::string::npos);
}

TEST(PairsFile, FoldsConsecutiveOrInterleaved) {
  const auto consecutive = pair_folds(3500, 700);  // CFP: 5 folds of 700
  EXPECT_EQ(consecutive[0], 0);
  EXPECT_EQ(consecutive[699], 0);
  EXPECT_EQ(consecutive[700], 1);
  EXPECT_EQ(consecutive[3499], 4);
  const auto shorter_last = pair_folds(25, 10);
  EXPECT_EQ(shorter_last[24], 2);
  const auto interleaved = pair_folds(25, 0);
  EXPECT_EQ(interleaved[0], 0);
  EXPECT_EQ(interleaved[9], 9);
  EXPECT_EQ(interleaved[10], 0);
  EXPECT_EQ(interleaved[23], 3);
  EXPECT_THROW(pair_folds(700, 700), std::runtime_error);  // one fold: nothing to test a threshold on
  EXPECT_THROW(pair_folds(1, 0), std::runtime_error);
}

TEST(KFold, MissingPairsAreWrongAndDoNotMoveTheThreshold) {
  // Two folds of 4 pairs, perfectly separable at 0.5; one same pair per fold has no score.
  const std::vector<float> scores = {0.9f, 0.8f, 0.1f, 0.2f, 0.9f, -2.f, 0.1f, 0.2f};
  const std::vector<bool> same = {true, true, false, false, true, true, false, false};
  const std::vector<int> folds = {0, 0, 0, 0, 1, 1, 1, 1};
  std::vector<bool> missing(8, false);
  missing[5] = true;
  const auto v = kfold_verification(scores, same, folds, missing);
  ASSERT_EQ(v.fold_accuracy.size(), 2u);
  EXPECT_DOUBLE_EQ(v.fold_accuracy[0], 1.0);
  EXPECT_DOUBLE_EQ(v.fold_accuracy[1], 0.75);
  ASSERT_EQ(v.fold_threshold.size(), 2u);
  for (double t : v.fold_threshold) {
    EXPECT_GT(t, 0.2);
    EXPECT_LT(t, 0.8);
  }
  // A missing different pair is wrong too (no face, no answer), though its sentinel score is below any threshold.
  std::vector<float> scored = scores;
  scored[5] = 0.85f;
  scored[6] = -2.f;
  missing[5] = false;
  missing[6] = true;
  EXPECT_DOUBLE_EQ(kfold_verification(scored, same, folds, missing).fold_accuracy[1], 0.75);
}
