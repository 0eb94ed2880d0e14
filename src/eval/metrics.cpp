#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace facesearch {

std::vector<LfwPair> read_lfw_pairs(const std::filesystem::path& pairs_txt) {
  std::ifstream in(pairs_txt);
  if (!in) throw std::runtime_error("cannot read " + pairs_txt.string());
  int folds = 0, per = 0;
  in >> folds >> per;
  if (folds <= 0 || per <= 0) throw std::runtime_error(pairs_txt.string() + ": bad header");
  std::vector<LfwPair> pairs;
  std::string line;
  std::getline(in, line);
  for (int f = 0; f < folds; ++f) {
    for (int k = 0; k < 2 * per; ++k) {
      if (!std::getline(in, line)) throw std::runtime_error(pairs_txt.string() + ": truncated");
      std::istringstream ls(line);
      LfwPair p;
      p.fold = f;
      if (k < per) {
        ls >> p.name_a >> p.index_a >> p.index_b;
        p.name_b = p.name_a;
        p.same = true;
      } else {
        ls >> p.name_a >> p.index_a >> p.name_b >> p.index_b;
      }
      if (!ls) throw std::runtime_error(pairs_txt.string() + ": bad line '" + line + "'");
      pairs.push_back(p);
    }
  }
  return pairs;
}

std::filesystem::path lfw_image_path(const std::filesystem::path& dir, const std::string& name, int index) {
  char num[16];
  std::snprintf(num, sizeof num, "%04d", index);
  return dir / name / (name + "_" + num + ".jpg");
}

std::vector<ImagePair> read_image_pairs(const std::filesystem::path& pairs_file) {
  std::ifstream in(pairs_file);
  if (!in) throw std::runtime_error("cannot read " + pairs_file.string());
  std::vector<ImagePair> pairs;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    // Trailing blanks and the '\r' of files written on Windows are no part of the label.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line.front() == '#') continue;
    // Tabs only: photo paths may hold spaces.
    const std::size_t tab1 = line.find('\t');
    const std::size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    const std::string label = tab2 == std::string::npos ? "" : line.substr(tab2 + 1);
    ImagePair p;
    if (tab2 != std::string::npos) {
      p.a = line.substr(0, tab1);
      p.b = line.substr(tab1 + 1, tab2 - tab1 - 1);
    }
    if (p.a.empty() || p.b.empty() || (label != "1" && label != "0"))
      throw std::runtime_error(pairs_file.string() + ":" + std::to_string(number) +
                               ": expected 'photo_a<TAB>photo_b<TAB>1|0' (1 = same person), got '" + line + "'");
    p.same = label == "1";
    pairs.push_back(std::move(p));
  }
  if (pairs.empty()) throw std::runtime_error(pairs_file.string() + ": no pairs");
  return pairs;
}

std::vector<int> pair_folds(std::size_t pairs, std::size_t fold_size) {
  constexpr std::size_t kInterleaved = 10;
  const std::size_t folds = fold_size ? (pairs + fold_size - 1) / fold_size : std::min(kInterleaved, pairs);
  if (folds < 2)
    throw std::runtime_error(std::to_string(pairs) + " pairs in folds of " + std::to_string(fold_size) +
                             " make fewer than 2 folds: nothing to test a threshold on");
  std::vector<int> fold(pairs);
  for (std::size_t i = 0; i < pairs; ++i) fold[i] = static_cast<int>(fold_size ? i / fold_size : i % kInterleaved);
  return fold;
}

// Best accuracy threshold on a subset: try every midpoint between consecutive sorted scores.
static double best_threshold(const std::vector<float>& scores, const std::vector<bool>& same,
                             const std::vector<size_t>& idx) {
  std::vector<size_t> order = idx;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Threshold below everything: all predicted "same".
  size_t correct = static_cast<size_t>(std::count_if(order.begin(), order.end(), [&](size_t i) { return same[i]; }));
  size_t best = correct;
  double best_t = order.empty() ? 0 : scores[order.front()] - 1e-6;
  for (size_t k = 0; k < order.size(); ++k) {
    // Moving the threshold above order[k] turns it into "different".
    correct += same[order[k]] ? -1 : 1;
    if (correct > best) {
      best = correct;
      best_t = k + 1 < order.size() ? (scores[order[k]] + scores[order[k + 1]]) / 2.0 : scores[order[k]] + 1e-6;
    }
  }
  return best_t;
}

VerificationResult kfold_verification(const std::vector<float>& scores, const std::vector<bool>& same,
                                      const std::vector<int>& folds, const std::vector<bool>& missing) {
  VerificationResult r;
  int nfolds = folds.empty() ? 0 : *std::max_element(folds.begin(), folds.end()) + 1;
  const auto is_missing = [&](size_t i) { return i < missing.size() && missing[i]; };
  for (int f = 0; f < nfolds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (folds[i] == f)
        test.push_back(i);
      else if (!is_missing(i))
        train.push_back(i);
    }
    double t = best_threshold(scores, same, train);
    size_t ok = 0;
    for (size_t i : test) ok += !is_missing(i) && ((scores[i] > t) == same[i]);
    r.fold_accuracy.push_back(test.empty() ? 0 : static_cast<double>(ok) / test.size());
    r.fold_threshold.push_back(t);
    r.mean_threshold += t / nfolds;
  }
  if (nfolds) {
    r.accuracy = std::accumulate(r.fold_accuracy.begin(), r.fold_accuracy.end(), 0.0) / nfolds;
    double v = 0;
    for (double a : r.fold_accuracy) v += (a - r.accuracy) * (a - r.accuracy);
    r.accuracy_std = std::sqrt(v / nfolds);
  }
  return r;
}

RateAtFar tar_at_far(const std::vector<float>& scores, const std::vector<bool>& same, double far) {
  std::vector<float> neg, pos;
  for (size_t i = 0; i < scores.size(); ++i) (same[i] ? pos : neg).push_back(scores[i]);
  std::sort(neg.begin(), neg.end(), std::greater<>());
  RateAtFar r;
  r.far = far;
  if (neg.empty() || pos.empty()) return r;
  size_t allowed = static_cast<size_t>(std::floor(far * neg.size()));
  r.threshold = allowed < neg.size() ? neg[allowed] : neg.back();
  r.tar = static_cast<double>(std::count_if(pos.begin(), pos.end(), [&](float s) { return s > r.threshold; })) /
          pos.size();
  return r;
}

double average_precision(const std::vector<bool>& ranked_relevant, size_t total_relevant) {
  if (total_relevant == 0) return 0;
  double sum = 0;
  size_t hits = 0;
  for (size_t k = 0; k < ranked_relevant.size(); ++k) {
    if (!ranked_relevant[k]) continue;
    ++hits;
    sum += static_cast<double>(hits) / (k + 1);
  }
  return sum / total_relevant;
}

}  // namespace facesearch
