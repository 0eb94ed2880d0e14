// Accuracy measures used by the tests and benchmarks (and later `facesearch eval`).
#pragma once

#include <cstddef>
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

// One line of a generic pairs file: two photos (paths relative to the images folder) and whether they show the
// same person.
struct ImagePair {
  std::string a, b;
  bool same = false;
};

// Reads `a<TAB>b<TAB>1|0` lines (CFP, CALFW, CPLFW or your own); blank lines and lines starting with '#' are
// skipped. Throws std::runtime_error naming the file and line for anything else.
std::vector<ImagePair> read_image_pairs(const std::filesystem::path& pairs_file);

// The fold of each of `pairs` pairs: with fold_size > 0, consecutive blocks of fold_size pairs (the last one may be
// shorter); with 0, 10 interleaved folds (pair i in fold i % 10). Throws when that gives fewer than 2 folds.
std::vector<int> pair_folds(std::size_t pairs, std::size_t fold_size);

struct VerificationResult {
  double accuracy = 0;         // mean over folds, threshold chosen on the other folds
  double accuracy_std = 0;
  double mean_threshold = 0;
  std::vector<double> fold_accuracy;
  std::vector<double> fold_threshold;  // learnt on the other folds
};

// k-fold verification accuracy of similarity scores (higher = more similar). Pairs marked in `missing` (a photo
// without a face: no score) take no part in choosing a threshold and count as wrong answers in their test fold.
VerificationResult kfold_verification(const std::vector<float>& scores, const std::vector<bool>& same,
                                      const std::vector<int>& folds, const std::vector<bool>& missing = {});

// True accept rate at a false accept rate: threshold = the score that at most `far` of the different pairs exceed.
struct RateAtFar {
  double far = 0, tar = 0, threshold = 0;
};
RateAtFar tar_at_far(const std::vector<float>& scores, const std::vector<bool>& same, double far);

// Retrieval: for one query, relevance of the ranked results (best first); average precision over all relevant.
double average_precision(const std::vector<bool>& ranked_relevant, size_t total_relevant);

}  // namespace facesearch
