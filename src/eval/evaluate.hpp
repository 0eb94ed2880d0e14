// `facesearch eval`: how accurate a model pack is, on LFW pairs and on a folder-per-person photo set.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "eval/metrics.hpp"

namespace facesearch {

struct LfwEvalOptions {
  EngineConfig engine;  // pack and models root; detection options when the images are not aligned
  // Images are crops already aligned to the pack's template: only the embedder runs (resized to its input
  // when needed). Otherwise every image goes through the whole pipeline and its largest face is used.
  bool aligned = false;
  int jobs = 2;
  // Also score every pair of distinct images (identity = LFW name) to calibrate thresholds at low FAR with far
  // more different-person pairs than the protocol's 3,000.
  bool all_pairs = true;
};

struct RocPoint {
  double threshold = 0, far = 0, tar = 0;
};

struct LfwEvaluation {
  std::size_t pairs = 0, images = 0;
  std::size_t images_without_face = 0;  // their pairs score -1 (a miss for same-person pairs)
  std::vector<float> scores;            // per protocol pair
  std::vector<bool> same;
  VerificationResult verification;      // 10-fold accuracy, threshold learnt on 9 folds
  RateAtFar far_1e3, far_1e4;           // over the protocol's different-person pairs
  // All-pairs calibration (when asked): how many pairs, and the thresholds at FAR 1e-2/1e-3/1e-4.
  std::size_t all_same_pairs = 0, all_different_pairs = 0;
  std::vector<RateAtFar> all_pairs_far;
  double seconds = 0;
};

// Throws std::runtime_error when the pairs file or an image cannot be read.
LfwEvaluation evaluate_lfw(const std::filesystem::path& pairs_txt, const std::filesystem::path& images_dir,
                           const LfwEvalOptions& options);

struct PairsEvalOptions {
  EngineConfig engine;      // pack, models root, detection options: every photo goes through the whole pipeline
  int jobs = 2;
  std::size_t fold_size = 0;  // > 0: folds of that many consecutive pairs; 0: 10 interleaved folds
};

struct PairsEvaluation {
  std::size_t pairs = 0, same_pairs = 0, different_pairs = 0;
  std::size_t images = 0;               // distinct photos (each analysed once)
  std::size_t images_without_face = 0;  // unreadable ones included
  std::size_t unreadable = 0;           // files that are no image this program reads
  std::size_t pairs_missing_face = 0;   // a photo of the pair has no face: a wrong answer, whatever the threshold
  int folds = 0;
  std::vector<float> scores;  // per pair; -2 when missing a face
  std::vector<bool> same, missing;
  VerificationResult verification;        // k-fold, threshold learnt on the other folds; missing pairs are wrong
  VerificationResult verification_found;  // the same over the pairs where both photos have a face
  // TAR over all same-person pairs (a missing face is a reject), FAR over different pairs with both faces.
  RateAtFar far_1e3, far_1e4;
  double ms_per_image = 0;  // one photo on one worker
  double seconds = 0;
};

// Verification on any `a<TAB>b<TAB>1|0` pairs file, paths relative to images_dir; each photo's largest face.
// Throws std::runtime_error when the pairs file is malformed or names photos that do not exist.
PairsEvaluation evaluate_pairs(const std::filesystem::path& pairs_file, const std::filesystem::path& images_dir,
                               const PairsEvalOptions& options);

// The scores that TAR @ FAR and ROC are computed from: missing different pairs left out, missing same pairs kept
// (scored -2: never accepted).
void scores_for_rates(const PairsEvaluation& e, std::vector<float>& scores, std::vector<bool>& same);

// ROC points from the highest threshold down, one per distinct score.
std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<bool>& same);

struct SearchEvalResult {
  std::size_t persons = 0, images = 0;
  std::size_t images_without_face = 0, unreadable = 0;
  std::size_t queries = 0;         // images whose person has at least one other usable image
  double rank1 = 0;                // share of queries whose most similar other image is the same person
  double mean_average_precision = 0;
  double threshold = 0;            // the pack's (or the given) threshold
  std::size_t true_accepts = 0, false_accepts = 0, false_rejects = 0;  // over all image pairs
  double precision = 0, recall = 0;
  double seconds = 0;
};

// labels_dir/<person>/<photos...>: each photo's largest face stands for that person. Every usable photo is a
// query against all the others.
SearchEvalResult evaluate_search(const std::filesystem::path& labels_dir, const EngineConfig& config, int jobs,
                                 std::optional<double> threshold = std::nullopt);

}  // namespace facesearch
