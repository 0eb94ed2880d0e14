// `facesearch eval pairs`: verification on any pairs file (CFP, CALFW, CPLFW, your own photos).
#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

#include "eval/evaluate.hpp"
#include "eval/photo_embeddings.hpp"
#include "vector/similarity.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

constexpr float kMissingScore = -2.f;  // below every cosine similarity

}  // namespace

void scores_for_rates(const PairsEvaluation& e, std::vector<float>& scores, std::vector<bool>& same) {
  scores.clear();
  same.clear();
  for (std::size_t i = 0; i < e.scores.size(); ++i) {
    if (e.missing[i] && !e.same[i]) continue;
    scores.push_back(e.scores[i]);
    same.push_back(e.same[i]);
  }
}

PairsEvaluation evaluate_pairs(const fs::path& pairs_file, const fs::path& images_dir, const PairsEvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  PairsEvaluation r;
  const std::vector<ImagePair> pairs = read_image_pairs(pairs_file);
  const std::vector<int> folds = pair_folds(pairs.size(), options.fold_size);
  r.pairs = pairs.size();
  r.folds = *std::max_element(folds.begin(), folds.end()) + 1;

  // Each photo once, however many pairs it is in.
  std::vector<fs::path> photos;
  std::map<fs::path, std::size_t> index;
  std::vector<std::pair<std::size_t, std::size_t>> photo_pairs;
  std::size_t absent = 0;
  fs::path first_absent;
  for (const auto& p : pairs) {
    std::size_t ab[2];
    for (int k = 0; k < 2; ++k) {
      const fs::path path = images_dir / (k ? p.b : p.a);
      auto [it, added] = index.emplace(path, photos.size());
      if (added) {
        photos.push_back(path);
        if (!fs::is_regular_file(path) && absent++ == 0) first_absent = path;
      }
      ab[k] = it->second;
    }
    photo_pairs.emplace_back(ab[0], ab[1]);
  }
  // A photo that is not there is a wrong --images folder or pairs file, not a photo without a face.
  if (absent)
    throw std::runtime_error(std::to_string(absent) + " photo(s) of " + pairs_file.string() + " not found under " +
                             images_dir.string() + ", e.g. " + first_absent.string());
  r.images = photos.size();

  const PhotoEmbeddings found = embed_largest_faces(photos, options.engine, options.jobs);
  r.images_without_face = found.without_face;
  r.unreadable = found.unreadable_count;
  r.ms_per_image = found.ms_per_photo;

  std::vector<float> found_scores;
  std::vector<bool> found_same;
  std::vector<int> found_folds;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const Embedding& a = found.embeddings[photo_pairs[i].first];
    const Embedding& b = found.embeddings[photo_pairs[i].second];
    const bool missing = a.empty() || b.empty();
    r.scores.push_back(missing ? kMissingScore : dot(a, b));
    r.same.push_back(pairs[i].same);
    r.missing.push_back(missing);
    r.pairs_missing_face += missing;
    (pairs[i].same ? r.same_pairs : r.different_pairs)++;
    if (!missing) {
      found_scores.push_back(r.scores.back());
      found_same.push_back(pairs[i].same);
      found_folds.push_back(folds[i]);
    }
  }
  r.verification = kfold_verification(r.scores, r.same, folds, r.missing);
  r.verification_found = kfold_verification(found_scores, found_same, found_folds);

  std::vector<float> rate_scores;
  std::vector<bool> rate_same;
  scores_for_rates(r, rate_scores, rate_same);
  r.far_1e3 = tar_at_far(rate_scores, rate_same, 1e-3);
  r.far_1e4 = tar_at_far(rate_scores, rate_same, 1e-4);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace facesearch
