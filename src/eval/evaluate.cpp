#include "eval/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.hpp"
#include "embed/registry.hpp"
#include "engine/batch.hpp"
#include "eval/photo_embeddings.hpp"
#include "image/image.hpp"
#include "util/parallel.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

// LFW crops already aligned to the ArcFace template: only the recogniser runs.
std::vector<Embedding> embed_aligned_crops(const std::vector<fs::path>& images, const EngineConfig& engine, int jobs) {
  std::vector<Embedding> embeddings(images.size());
  const fs::path root = engine.models_root.empty() ? models_root() : engine.models_root;
  // Workers split the images; OpenCV's own threads would only compete with them.
  OpenCvThreads one_opencv_thread_per_worker(1);
  const ModelPack pack = resolve_pack(engine);
  const auto files = require_pack(pack, root);
  // A recogniser trained on another template (dlib's chip) gets the crop warped from the ArcFace points (scaled
  // to the image) onto its own; what its template sees beyond the ArcFace crop stays black.
  const bool arcface_aligned = recognizer_type(pack.embedder.value("type", "")).crop == CropTemplate::ArcFace;
  std::vector<std::unique_ptr<Embedder>> embedders(static_cast<std::size_t>(jobs));
  parallel_for(images.size(), jobs, [&](std::size_t i, int worker) {
    auto& embedder = embedders[static_cast<std::size_t>(worker)];
    if (!embedder) embedder = make_embedder(pack.embedder, files.at("embedder"));
    const int side = embedder->input_size();
    cv::Mat crop = load_image(images[i]).bgr;
    if (!arcface_aligned) {
      Landmarks5 src = arcface_template(crop.cols);
      const float sy = static_cast<float>(crop.rows) / static_cast<float>(crop.cols);
      for (auto& p : src) p.y *= sy;
      crop = align_face(crop, src, embedder->face_template(), side);
    } else if (crop.rows != side || crop.cols != side) {
      cv::resize(crop, crop, {side, side}, 0, 0, cv::INTER_AREA);
    }
    embeddings[i] = embedder->embed({crop})[0];
  });
  return embeddings;
}

// Thresholds at the given FARs from histograms of all same- and different-identity pair scores.
struct PairHistogram {
  static constexpr int kBins = 8000;  // over [-1, 1]: 0.00025 per bin
  std::vector<std::uint64_t> same = std::vector<std::uint64_t>(kBins, 0);
  std::vector<std::uint64_t> different = std::vector<std::uint64_t>(kBins, 0);
  static int bin(float s) { return std::clamp(static_cast<int>((s + 1.f) * 0.5f * kBins), 0, kBins - 1); }
  static double lower_edge(int b) { return -1.0 + 2.0 * b / kBins; }
};

}  // namespace

std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<bool>& same) {
  std::vector<std::size_t> order(scores.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const double positives = static_cast<double>(std::count(same.begin(), same.end(), true));
  const double negatives = static_cast<double>(same.size()) - positives;
  std::vector<RocPoint> roc;
  std::size_t tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    (same[order[k]] ? tp : fp)++;
    // One point per distinct score: everything at or above it is accepted.
    if (k + 1 < order.size() && scores[order[k + 1]] == scores[order[k]]) continue;
    roc.push_back({scores[order[k]], negatives > 0 ? fp / negatives : 0, positives > 0 ? tp / positives : 0});
  }
  return roc;
}

LfwEvaluation evaluate_lfw(const fs::path& pairs_txt, const fs::path& images_dir, const LfwEvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  LfwEvaluation r;
  const auto pairs = read_lfw_pairs(pairs_txt);
  r.pairs = pairs.size();

  std::vector<fs::path> images;
  std::map<fs::path, std::size_t> index;
  for (const auto& p : pairs)
    for (const auto& path : {lfw_image_path(images_dir, p.name_a, p.index_a), lfw_image_path(images_dir, p.name_b, p.index_b)})
      if (index.emplace(path, images.size()).second) images.push_back(path);
  r.images = images.size();

  std::vector<Embedding> embeddings;
  const int jobs = std::max(1, options.jobs);
  if (options.aligned) {
    embeddings = embed_aligned_crops(images, options.engine, jobs);
  } else {
    PhotoEmbeddings found = embed_largest_faces(images, options.engine, jobs);
    for (std::size_t i = 0; i < images.size(); ++i)
      if (!found.unreadable[i].empty()) throw std::runtime_error(images[i].string() + ": " + found.unreadable[i]);
    embeddings = std::move(found.embeddings);
  }
  r.images_without_face =
      static_cast<std::size_t>(std::count_if(embeddings.begin(), embeddings.end(), [](auto& e) { return e.empty(); }));

  std::vector<int> folds;
  for (const auto& p : pairs) {
    const auto& a = embeddings[index[lfw_image_path(images_dir, p.name_a, p.index_a)]];
    const auto& b = embeddings[index[lfw_image_path(images_dir, p.name_b, p.index_b)]];
    r.scores.push_back(a.empty() || b.empty() ? -1.f : dot(a, b));
    r.same.push_back(p.same);
    folds.push_back(p.fold);
  }
  r.verification = kfold_verification(r.scores, r.same, folds);
  r.far_1e3 = tar_at_far(r.scores, r.same, 1e-3);
  r.far_1e4 = tar_at_far(r.scores, r.same, 1e-4);

  if (options.all_pairs) {
    std::vector<std::size_t> usable;
    for (std::size_t i = 0; i < images.size(); ++i)
      if (!embeddings[i].empty()) usable.push_back(i);
    std::vector<std::string> identity(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) identity[i] = images[i].parent_path().filename().string();
    // Rows are handed out one at a time (row i has n-i-1 pairs), which balances the workers well enough; each
    // worker counts into its own histogram.
    std::vector<PairHistogram> local(static_cast<std::size_t>(jobs));
    parallel_for(usable.size(), jobs, [&](std::size_t row, int worker) {
      PairHistogram& h = local[static_cast<std::size_t>(worker)];
      const std::size_t i = usable[row];
      for (std::size_t col = row + 1; col < usable.size(); ++col) {
        const std::size_t j = usable[col];
        const int b = PairHistogram::bin(dot(embeddings[i], embeddings[j]));
        (identity[i] == identity[j] ? h.same : h.different)[b]++;
      }
    });
    PairHistogram total;
    for (const PairHistogram& h : local)
      for (int b = 0; b < PairHistogram::kBins; ++b) {
        total.same[b] += h.same[b];
        total.different[b] += h.different[b];
      }
    for (int b = 0; b < PairHistogram::kBins; ++b) {
      r.all_same_pairs += total.same[b];
      r.all_different_pairs += total.different[b];
    }
    for (double far : {1e-2, 1e-3, 1e-4}) {
      // The lowest bin edge whose accepted different pairs stay within the FAR.
      std::uint64_t accepted_diff = 0, accepted_same = 0;
      int chosen = PairHistogram::kBins;
      std::uint64_t same_at_chosen = 0;
      for (int b = PairHistogram::kBins - 1; b >= 0; --b) {
        accepted_diff += total.different[b];
        accepted_same += total.same[b];
        if (static_cast<double>(accepted_diff) > far * static_cast<double>(r.all_different_pairs)) break;
        chosen = b;
        same_at_chosen = accepted_same;
      }
      RateAtFar rate;
      rate.far = far;
      rate.threshold = chosen < PairHistogram::kBins ? PairHistogram::lower_edge(chosen) : 1.0;
      rate.tar = r.all_same_pairs ? static_cast<double>(same_at_chosen) / static_cast<double>(r.all_same_pairs) : 0;
      r.all_pairs_far.push_back(rate);
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

SearchEvalResult evaluate_search(const fs::path& labels_dir, const EngineConfig& config, int jobs,
                                 std::optional<double> threshold) {
  const auto start = std::chrono::steady_clock::now();
  SearchEvalResult r;
  if (!fs::is_directory(labels_dir)) throw std::runtime_error(labels_dir.string() + " is not a folder");
  std::vector<fs::path> files;
  std::map<fs::path, std::string> person_of;
  std::vector<fs::path> persons;
  for (const auto& e : fs::directory_iterator(labels_dir))
    if (e.is_directory() && !e.path().filename().string().starts_with(".")) persons.push_back(e.path());
  std::sort(persons.begin(), persons.end());
  for (const auto& dir : persons) {
    for (const auto& f : collect_files({dir}, /*recursive=*/true)) {
      files.push_back(f);
      person_of[f] = dir.filename().string();
    }
  }
  r.persons = persons.size();
  r.images = files.size();
  if (files.empty()) throw std::runtime_error(labels_dir.string() + " has no photos in per-person sub-folders");

  std::map<fs::path, Embedding> embedding_of;
  BatchCallbacks cb;
  cb.on_image = [&](ImageFaces&& img) {
    if (const int k = choose_face(img, "largest"); k >= 0) embedding_of[img.path] = img.faces[static_cast<size_t>(k)].embedding;
  };
  cb.on_skip = [&](const SkippedFile&) { ++r.unreadable; };
  analyze_files(config, files, jobs, /*embed=*/true, cb);
  r.images_without_face = r.images - r.unreadable - embedding_of.size();

  const ModelPack pack = resolve_pack(config);
  r.threshold = threshold.value_or(pack.default_threshold());

  std::vector<const Embedding*> emb;
  std::vector<std::string> who;
  for (const auto& f : files)
    if (auto it = embedding_of.find(f); it != embedding_of.end()) {
      emb.push_back(&it->second);
      who.push_back(person_of[f]);
    }
  const std::size_t n = emb.size();
  std::vector<std::vector<float>> sim(n, std::vector<float>(n, 0.f));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) sim[i][j] = sim[j][i] = dot(*emb[i], *emb[j]);

  double rank1 = 0, ap_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t> others;
    std::size_t relevant = 0;
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) {
        others.push_back(j);
        relevant += who[j] == who[i];
      }
    if (relevant == 0) continue;
    std::sort(others.begin(), others.end(), [&](std::size_t a, std::size_t b) { return sim[i][a] > sim[i][b]; });
    std::vector<bool> ranked;
    for (std::size_t j : others) ranked.push_back(who[j] == who[i]);
    ++r.queries;
    rank1 += ranked.front();
    ap_sum += average_precision(ranked, relevant);
  }
  if (r.queries) {
    r.rank1 = rank1 / static_cast<double>(r.queries);
    r.mean_average_precision = ap_sum / static_cast<double>(r.queries);
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const bool accept = sim[i][j] >= r.threshold, same = who[i] == who[j];
      if (accept && same) ++r.true_accepts;
      if (accept && !same) ++r.false_accepts;
      if (!accept && same) ++r.false_rejects;
    }
  const double accepted = static_cast<double>(r.true_accepts + r.false_accepts);
  const double positives = static_cast<double>(r.true_accepts + r.false_rejects);
  r.precision = accepted > 0 ? r.true_accepts / accepted : 0;
  r.recall = positives > 0 ? r.true_accepts / positives : 0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace facesearch
