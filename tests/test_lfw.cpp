// Must show 1: the default pack's embedder reaches >= 99.0% on the LFW 6000-pair protocol (10-fold).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <opencv2/core.hpp>

#include "embed/embedder.hpp"
#include "eval/metrics.hpp"
#include "image/image.hpp"
#include "models/model_pack.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

TEST(LfwVerification, DefaultPackReaches99Percent) {
  const fs::path dir = fstest::shared_data() / "lfw_aligned112_pairs";
  const auto pairs = read_lfw_pairs(dir / "pairs.txt");
  ASSERT_EQ(pairs.size(), 6000u);

  std::vector<fs::path> images;
  std::map<fs::path, size_t> index;
  for (const auto& p : pairs)
    for (auto path : {lfw_image_path(dir / "images", p.name_a, p.index_a), lfw_image_path(dir / "images", p.name_b, p.index_b)})
      if (index.emplace(path, images.size()).second) images.push_back(path);
  ASSERT_EQ(images.size(), 7701u);

  const ModelPack pack = find_builtin_pack("default");
  const auto files = require_pack(pack);
  std::vector<Embedding> embeddings(images.size());
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  std::string error;
  cv::setNumThreads(1);
  auto work = [&] {
    auto embedder = make_embedder(pack.embedder, files.at("embedder"));
    for (size_t i = next++; i < images.size(); i = next++) {
      try {
        DecodedImage img = load_image(images[i]);
        embeddings[i] = embedder->embed({img.bgr})[0];
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mu);
        error = images[i].string() + ": " + e.what();
      }
    }
  };
  std::thread t(work);
  work();
  t.join();
  ASSERT_TRUE(error.empty()) << error;

  std::vector<float> scores;
  std::vector<bool> same;
  std::vector<int> folds;
  for (const auto& p : pairs) {
    const auto& a = embeddings[index[lfw_image_path(dir / "images", p.name_a, p.index_a)]];
    const auto& b = embeddings[index[lfw_image_path(dir / "images", p.name_b, p.index_b)]];
    scores.push_back(dot(a, b));
    same.push_back(p.same);
    folds.push_back(p.fold);
  }
  const auto r = kfold_verification(scores, same, folds);
  const auto far3 = tar_at_far(scores, same, 1e-3);
  const auto far2 = tar_at_far(scores, same, 1e-2);
  std::printf("LFW 10-fold accuracy %.2f%% +- %.2f (mean threshold %.3f); TAR %.3f @ FAR 1e-2 (t=%.3f), "
              "TAR %.3f @ FAR 1e-3 (t=%.3f) [FAR over the 3000 different pairs]\n",
              100 * r.accuracy, 100 * r.accuracy_std, r.mean_threshold, far2.tar, far2.threshold, far3.tar,
              far3.threshold);
  ::testing::Test::RecordProperty("lfw_accuracy", std::to_string(r.accuracy));
  EXPECT_GE(r.accuracy, 0.990);
  // Every fold must be decent, not just the mean.
  for (double a : r.fold_accuracy) EXPECT_GE(a, 0.97);
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
