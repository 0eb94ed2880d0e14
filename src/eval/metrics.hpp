// Accuracy measures used by the tests and benchmarks (and later `facesearch eval`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace facesearch {

struct LfwPair {
  std::string name_a;
  int index_a = 0;
  std::string name_b;
  int index_b = 0;
  bool same = false;
  int fold = 0;
};

// Parses LFW's pairs.txt ("folds n" header, then per fold n same-person lines and n different-person lines).
std::vector<LfwPair> read_lfw_pairs(const std::filesystem::path& pairs_txt);
// images/<Name>/<Name>_0001.jpg
std::filesystem::path lfw_image_path(const std::filesystem::path& images_dir, const std::string& name, int index);

struct VerificationResult {
  double accuracy = 0;         // mean over folds, threshold chosen on the other folds
  double accuracy_std = 0;
  double mean_threshold = 0;
  std::vector<double> fold_accuracy;
};

// k-fold verification accuracy of similarity scores (higher = more similar).
VerificationResult kfold_verification(const std::vector<float>& scores, const std::vector<bool>& same,
                                      const std::vector<int>& folds);

// True accept rate at a false accept rate: threshold = the score that at most `far` of the different pairs exceed.
struct RateAtFar {
  double far = 0, tar = 0, threshold = 0;
};
RateAtFar tar_at_far(const std::vector<float>& scores, const std::vector<bool>& same, double far);

// Retrieval: for one query, relevance of the ranked results (best first); average precision over all relevant.
double average_precision(const std::vector<bool>& ranked_relevant, size_t total_relevant);

}  // namespace facesearch
