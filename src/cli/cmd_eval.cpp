// facesearch eval: accuracy of the current model pack on LFW pairs (`eval lfw`) and on a labelled folder
// (`eval search`).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "app/models.hpp"
#include "app/records.hpp"
#include "app/session.hpp"
#include "cli/common.hpp"
#include "eval/evaluate.hpp"

namespace fs = std::filesystem;

namespace facesearch::cli {

namespace {

struct LfwArgs {
  std::string pairs, images, roc;
  bool aligned = false;
  bool json = false;
  bool all_pairs = true;
};

double round4(double x) { return rounded(x, 1e-4); }

int run_eval_lfw(const CommonOptions& common, const LfwArgs& a) {
  app::Session session(session_options(common));
  if (!common.quiet) std::fprintf(stderr, "embedding the LFW images with pack %s...\n", common.pack.c_str());
  const LfwEvaluation r = app::evaluate_lfw(session, a.pairs, a.images, a.aligned, a.all_pairs);

  if (!a.roc.empty()) {
    std::ofstream out(a.roc);
    out << "threshold,far,tar\n";
    for (const auto& p : roc_curve(r.scores, r.same)) out << fmt::format("{:.5f},{:.6f},{:.6f}\n", p.threshold, p.far, p.tar);
    if (!out) throw std::runtime_error("cannot write " + a.roc);
  }
  const auto& v = r.verification;
  if (a.json) {
    nlohmann::json j = {{"pack", common.pack}, {"pairs", r.pairs}, {"images", r.images},
                        {"images_without_face", r.images_without_face}, {"aligned", a.aligned},
                        {"accuracy", round4(v.accuracy)}, {"accuracy_std", round4(v.accuracy_std)},
                        {"fold_accuracy", nlohmann::json::array()}, {"threshold", round4(v.mean_threshold)},
                        {"tar_at_far", nlohmann::json::array()}, {"seconds", rounded(r.seconds, 0.1)}};
    for (double f : v.fold_accuracy) j["fold_accuracy"].push_back(round4(f));
    for (const auto* t : {&r.far_1e3, &r.far_1e4})
      j["tar_at_far"].push_back({{"far", t->far}, {"tar", round4(t->tar)}, {"threshold", round4(t->threshold)}});
    if (a.all_pairs) {
      j["all_pairs"] = {{"same", r.all_same_pairs}, {"different", r.all_different_pairs}, {"tar_at_far", nlohmann::json::array()}};
      for (const auto& t : r.all_pairs_far)
        j["all_pairs"]["tar_at_far"].push_back({{"far", t.far}, {"tar", round4(t.tar)}, {"threshold", round4(t.threshold)}});
    }
    std::cout << j.dump() << '\n';
  } else {
    std::cout << fmt::format("LFW, pack {}: {} pairs, {} images{}{}\n", common.pack, r.pairs, r.images,
                             a.aligned ? " (aligned crops)" : " (full pipeline, largest face)",
                             r.images_without_face ? fmt::format(", {} without a face", r.images_without_face) : "");
    std::cout << fmt::format("accuracy (10-fold)   {:.2f}% ± {:.2f}   calibrated threshold {:.3f} (mean over folds)\n",
                             100 * v.accuracy, 100 * v.accuracy_std, v.mean_threshold);
    const double negatives = static_cast<double>(std::count(r.same.begin(), r.same.end(), false));
    for (const auto* t : {&r.far_1e3, &r.far_1e4})
      std::cout << fmt::format("TAR @ FAR {:.0e}       {:.4f}   threshold {:.3f}   (protocol pairs: FAR resolution 1/{:.0f})\n",
                               t->far, t->tar, t->threshold, negatives);
    if (a.all_pairs) {
      std::cout << fmt::format("all pairs of the images: {} same-person, {} different-person\n", r.all_same_pairs,
                               r.all_different_pairs);
      for (const auto& t : r.all_pairs_far)
        std::cout << fmt::format("  TAR @ FAR {:.0e}     {:.4f}   threshold {:.3f}\n", t.far, t.tar, t.threshold);
    }
  }
  if (!common.quiet) std::fprintf(stderr, "%.1f s\n", r.seconds);
  return kOk;
}

struct SearchEvalArgs {
  std::string labels;
  double threshold = 0;
  bool json = false;
};

int run_eval_search(const CommonOptions& common, const SearchEvalArgs& a, bool threshold_given) {
  app::Session session(session_options(common));
  const SearchEvalResult r = app::evaluate_search(
      session, a.labels, threshold_given ? std::optional<float>(static_cast<float>(a.threshold)) : std::nullopt);
  if (a.json) {
    const nlohmann::json j = {
        {"pack", common.pack}, {"persons", r.persons}, {"images", r.images},
        {"images_without_face", r.images_without_face}, {"unreadable", r.unreadable}, {"queries", r.queries},
        {"rank1", round4(r.rank1)}, {"map", round4(r.mean_average_precision)}, {"threshold", round4(r.threshold)},
        {"precision", round4(r.precision)}, {"recall", round4(r.recall)}, {"true_accepts", r.true_accepts},
        {"false_accepts", r.false_accepts}, {"false_rejects", r.false_rejects},
        {"seconds", rounded(r.seconds, 0.1)}};
    std::cout << j.dump() << '\n';
  } else {
    std::cout << fmt::format("{} persons, {} images ({} without a face, {} unreadable), {} queries, pack {}\n",
                             r.persons, r.images, r.images_without_face, r.unreadable, r.queries, common.pack);
    std::cout << fmt::format("rank-1  {:.4f}\nmAP     {:.4f}\n", r.rank1, r.mean_average_precision);
    std::cout << fmt::format("at threshold {:.3f}: precision {:.4f}, recall {:.4f} ({} true accepts, {} false accepts, "
                             "{} false rejects over all image pairs)\n",
                             r.threshold, r.precision, r.recall, r.true_accepts, r.false_accepts, r.false_rejects);
  }
  if (!common.quiet) std::fprintf(stderr, "%.1f s\n", r.seconds);
  return kOk;
}

}  // namespace

void add_eval_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto* eval_cmd = app.add_subcommand("eval", "Accuracy of the model pack: LFW verification, search on labelled photos");
  eval_cmd->require_subcommand(1);

  auto lfw = std::make_shared<LfwArgs>();
  auto* lfw_cmd = eval_cmd->add_subcommand("lfw", "LFW protocol: 10-fold accuracy, TAR@FAR, calibrated thresholds");
  lfw_cmd->add_option("--pairs", lfw->pairs, "LFW pairs.txt (folds, same and different pairs)")
      ->required()->check(CLI::ExistingFile);
  lfw_cmd->add_option("--images", lfw->images, "Folder of <Name>/<Name>_NNNN.jpg")->required()->check(CLI::ExistingDirectory);
  lfw_cmd->add_flag("--aligned", lfw->aligned, "Images are already aligned crops: run the recogniser only");
  lfw_cmd->add_option("--roc", lfw->roc, "Write the ROC curve (threshold,far,tar) to this CSV file");
  lfw_cmd->add_flag("--all-pairs,!--no-all-pairs", lfw->all_pairs,
                    "Also calibrate thresholds on every pair of the images (default on)");
  lfw_cmd->add_flag("--json", lfw->json, "One JSON object");
  lfw_cmd->add_option("-j,--jobs", common.jobs, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  commands.push_back({lfw_cmd, [&common, lfw] { return run_eval_lfw(common, *lfw); }});

  auto search = std::make_shared<SearchEvalArgs>();
  auto* search_cmd = eval_cmd->add_subcommand("search", "Folder-per-person photos: rank-1, mAP, precision/recall");
  search_cmd->add_option("--labels", search->labels, "Folder with one sub-folder of photos per person")
      ->required()->check(CLI::ExistingDirectory);
  auto* threshold = search_cmd->add_option("--threshold", search->threshold, "Threshold (default: the pack's)")
                        ->check(CLI::Range(-1.0, 1.0));
  search_cmd->add_flag("--json", search->json, "One JSON object");
  add_engine_options(search_cmd, common);
  commands.push_back({search_cmd, [&common, search, threshold] {
                        return run_eval_search(common, *search, threshold->count() > 0);
                      }});
}

}  // namespace facesearch::cli
