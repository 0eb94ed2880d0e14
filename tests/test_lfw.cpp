// Must show 1: the default pack's embedder reaches >= 99.0% on the LFW 6000-pair protocol (10-fold).
#include <gtest/gtest.h>

#include "embed/embedder.hpp"
#include "engine/engine.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "models/model_pack.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

TEST(LfwVerification, DefaultPackReaches99Percent) {
  // The same code path as `facesearch eval lfw --aligned` (src/eval/evaluate.cpp), run once here for CI.
  const fs::path dir = fstest::shared_data() / "lfw_aligned112_pairs";
  LfwEvalOptions options;
  options.aligned = true;
  options.jobs = 2;
  options.all_pairs = true;
  const LfwEvaluation e = evaluate_lfw(dir / "pairs.txt", dir / "images", options);
  ASSERT_EQ(e.pairs, 6000u);
  ASSERT_EQ(e.images, 7701u);
  EXPECT_EQ(e.images_without_face, 0u);

  const auto& r = e.verification;
  std::printf("LFW 10-fold accuracy %.2f%% +- %.2f (mean threshold %.3f); TAR %.3f @ FAR 1e-3 (t=%.3f) "
              "[FAR over the 3000 different pairs]; all pairs (%zu same, %zu different): TAR %.4f/%.4f/%.4f at "
              "thresholds %.3f/%.3f/%.3f for FAR 1e-2/1e-3/1e-4; %.1f s\n",
              100 * r.accuracy, 100 * r.accuracy_std, r.mean_threshold, e.far_1e3.tar, e.far_1e3.threshold,
              e.all_same_pairs, e.all_different_pairs, e.all_pairs_far[0].tar, e.all_pairs_far[1].tar,
              e.all_pairs_far[2].tar, e.all_pairs_far[0].threshold, e.all_pairs_far[1].threshold,
              e.all_pairs_far[2].threshold, e.seconds);
  ::testing::Test::RecordProperty("lfw_accuracy", std::to_string(r.accuracy));
  EXPECT_GE(r.accuracy, 0.990);
  // Every fold must be decent, not just the mean.
  for (double a : r.fold_accuracy) EXPECT_GE(a, 0.97);

  // The thresholds the default manifest recommends must be what this calibration finds (all pairs of the 7,701
  // images: ~30M different-person pairs, enough for FAR 1e-4).
  const ModelPack pack = resolve_pack(EngineConfig{});
  ASSERT_EQ(e.all_pairs_far.size(), 3u);
  EXPECT_NEAR(e.all_pairs_far[0].threshold, pack.thresholds.at("far_1e-2"), 0.01);
  EXPECT_NEAR(e.all_pairs_far[1].threshold, pack.thresholds.at("far_1e-3"), 0.01);
  EXPECT_NEAR(e.all_pairs_far[2].threshold, pack.thresholds.at("far_1e-4"), 0.01);
  EXPECT_GT(e.all_pairs_far[1].tar, 0.95);

  // ROC: monotone, from (0, ~0) to (1, 1).
  const auto roc = roc_curve(e.scores, e.same);
  ASSERT_FALSE(roc.empty());
  for (size_t i = 1; i < roc.size(); ++i) {
    EXPECT_GE(roc[i].far, roc[i - 1].far);
    EXPECT_GE(roc[i].tar, roc[i - 1].tar);
    EXPECT_LT(roc[i].threshold, roc[i - 1].threshold);
  }
  EXPECT_DOUBLE_EQ(roc.back().far, 1.0);
  EXPECT_DOUBLE_EQ(roc.back().tar, 1.0);
}

TEST(LfwVerification, KFoldMetricsOnKnownScores) {
  // Perfectly separable scores: 100% whatever the folds; reversed scores: the threshold learnt is useless.
  std::vector<float> scores;
  std::vector<bool> same;
  std::vector<int> folds;
  for (int i = 0; i < 100; ++i) {
    scores.push_back(i % 2 ? 0.8f + i * 1e-3f : 0.1f + i * 1e-3f);
    same.push_back(i % 2);
    folds.push_back(i % 10);
  }
  EXPECT_DOUBLE_EQ(kfold_verification(scores, same, folds).accuracy, 1.0);
  auto t = tar_at_far(scores, same, 0.0);
  EXPECT_DOUBLE_EQ(t.tar, 1.0);
  EXPECT_NEAR(average_precision({true, false, true}, 2), (1.0 + 2.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(average_precision({false, true}, 2), 0.25, 1e-12);
}
