// facesearch eval: accuracy of the current model pack on LFW pairs (`eval lfw`), on any pairs file (`eval pairs`)
// and on a labelled folder (`eval search`).
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

// `--roc FILE.csv`: threshold,far,tar, one row per distinct score.
void write_roc(const std::string& path, const std::vector<float>& scores, const std::vector<bool>& same) {
  if (path.empty()) return;
  std::ofstream out(path);
  out << "threshold,far,tar\n";
  for (const auto& p : roc_curve(scores, same)) out << fmt::format("{:.5f},{:.6f},{:.6f}\n", p.threshold, p.far, p.tar);
  if (!out) throw std::runtime_error("cannot write " + path);
}

// The fields `eval lfw` and `eval pairs` share: k-fold accuracy, the mean threshold, TAR @ FAR 1e-3 and 1e-4.
nlohmann::json verification_json(const VerificationResult& v, const RateAtFar& far_1e3, const RateAtFar& far_1e4) {
  nlohmann::json j = {{"accuracy", round4(v.accuracy)}, {"accuracy_std", round4(v.accuracy_std)},
                      {"fold_accuracy", nlohmann::json::array()}, {"threshold", round4(v.mean_threshold)},
                      {"tar_at_far", nlohmann::json::array()}};
  for (double f : v.fold_accuracy) j["fold_accuracy"].push_back(round4(f));
  for (const auto* t : {&far_1e3, &far_1e4})
    j["tar_at_far"].push_back({{"far", t->far}, {"tar", round4(t->tar)}, {"threshold", round4(t->threshold)}});
  return j;
}

void print_rates(const RateAtFar& far_1e3, const RateAtFar& far_1e4, const std::string& resolution) {
  for (const auto* t : {&far_1e3, &far_1e4})
    std::cout << fmt::format("TAR @ FAR {:.0e}       {:.4f}   threshold {:.3f}   ({})\n", t->far, t->tar, t->threshold,
                             resolution);
}

int run_eval_lfw(const CommonOptions& common, const LfwArgs& a) {
  app::Session session(session_options(common));
  if (!common.quiet) std::fprintf(stderr, "embedding the LFW images with pack %s...\n", common.pack.c_str());
  const LfwEvaluation r = app::evaluate_lfw(session, a.pairs, a.images, a.aligned, a.all_pairs);
  write_roc(a.roc, r.scores, r.same);
  const auto& v = r.verification;
  if (a.json) {
    nlohmann::json j = {{"pack", common.pack}, {"pairs", r.pairs}, {"images", r.images},
                        {"images_without_face", r.images_without_face}, {"aligned", a.aligned},
                        {"seconds", rounded(r.seconds, 0.1)}};
    j.update(verification_json(v, r.far_1e3, r.far_1e4));
    if (a.all_pairs) {
      j["all_pairs"] = {{"same", r.all_same_pairs}, {"different", r.all_different_pairs}, {"tar_at_far", nlohmann::json::array()}};
      for (const auto& t : r.all_pairs_far)
        j["all_pairs"]["tar_at_far"].push_back({{"far", t.far}, {"tar", round4(t.tar)}, {"threshold", round4(t.threshold)}});
    }
    std::cout << json_text(j) << '\n';
  } else {
    std::cout << fmt::format("LFW, pack {}: {} pairs, {} images{}{}\n", common.pack, r.pairs, r.images,
                             a.aligned ? " (aligned crops)" : " (full pipeline, largest face)",
                             r.images_without_face ? fmt::format(", {} without a face", r.images_without_face) : "");
    std::cout << fmt::format("accuracy (10-fold)   {:.2f}% ± {:.2f}   calibrated threshold {:.3f} (mean over folds)\n",
                             100 * v.accuracy, 100 * v.accuracy_std, v.mean_threshold);
    const auto negatives = std::count(r.same.begin(), r.same.end(), false);
    print_rates(r.far_1e3, r.far_1e4, fmt::format("protocol pairs: FAR resolution 1/{}", negatives));
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

struct PairsArgs {
  std::string pairs, images, roc;
  std::size_t fold_size = 0;
  bool json = false;
};

std::string percent(std::size_t part, std::size_t whole) {
  return fmt::format("{:.2f}%", whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
}

int run_eval_pairs(const CommonOptions& common, const PairsArgs& a) {
  app::Session session(session_options(common));
  if (!common.quiet) std::fprintf(stderr, "analysing the photos of %s with pack %s...\n", a.pairs.c_str(), common.pack.c_str());
  const PairsEvaluation r = app::evaluate_pairs(session, a.pairs, a.images, a.fold_size);
  std::vector<float> rate_scores;
  std::vector<bool> rate_same;
  scores_for_rates(r, rate_scores, rate_same);
  write_roc(a.roc, rate_scores, rate_same);
  const double missing_share = r.pairs ? static_cast<double>(r.pairs_missing_face) / static_cast<double>(r.pairs) : 0;
  const auto& v = r.verification;
  if (a.json) {
    nlohmann::json j = {{"pack", common.pack}, {"pairs", r.pairs}, {"same_pairs", r.same_pairs},
                        {"different_pairs", r.different_pairs}, {"images", r.images},
                        {"images_without_face", r.images_without_face}, {"unreadable", r.unreadable},
                        {"pairs_missing_face", r.pairs_missing_face}, {"missing_share", round4(missing_share)},
                        {"folds", r.folds}, {"fold_size", a.fold_size},
                        {"fold_threshold", nlohmann::json::array()},
                        {"accuracy_found", round4(r.verification_found.accuracy)},
                        {"ms_per_image", rounded(r.ms_per_image, 0.1)}, {"jobs", common.jobs},
                        {"seconds", rounded(r.seconds, 0.1)}};
    j.update(verification_json(v, r.far_1e3, r.far_1e4));
    for (double t : v.fold_threshold) j["fold_threshold"].push_back(round4(t));
    std::cout << json_text(j) << '\n';
  } else {
    std::cout << fmt::format("pairs, pack {}: {} pairs ({} same, {} different), {} photos, {} folds ({})\n",
                             common.pack, r.pairs, r.same_pairs, r.different_pairs, r.images, r.folds,
                             a.fold_size ? fmt::format("{} consecutive pairs each", a.fold_size) : "interleaved");
    std::cout << fmt::format("photos without a face {} ({} unreadable); pairs missing a face {} ({}), counted as wrong\n",
                             r.images_without_face, r.unreadable, r.pairs_missing_face, percent(r.pairs_missing_face, r.pairs));
    std::cout << fmt::format("accuracy ({}-fold)    {:.2f}% ± {:.2f}   calibrated threshold {:.3f} (mean over folds)\n",
                             r.folds, 100 * v.accuracy, 100 * v.accuracy_std, v.mean_threshold);
    std::cout << fmt::format("  pairs with both faces only: {:.2f}% ± {:.2f}\n", 100 * r.verification_found.accuracy,
                             100 * r.verification_found.accuracy_std);
    print_rates(r.far_1e3, r.far_1e4,
                fmt::format("FAR over {} different pairs with both faces; a missing face is a reject",
                            std::count(rate_same.begin(), rate_same.end(), false)));
    std::cout << fmt::format("{:.1f} ms per photo (one worker of {})\n", r.ms_per_image, common.jobs);
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
    std::cout << json_text(j) << '\n';
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

// --pairs FILE and --images DIR, both required: what `eval lfw` and `eval pairs` read.
void add_pairs_input(CLI::App* cmd, std::string& pairs, const std::string& pairs_help, std::string& images,
                     const std::string& images_help) {
  cmd->add_option("--pairs", pairs, pairs_help)->required()->check(CLI::ExistingFile);
  cmd->add_option("--images", images, images_help)->required()->check(CLI::ExistingDirectory);
}

}  // namespace

void add_eval_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto* eval_cmd =
      app.add_subcommand("eval", "Accuracy of the model pack: LFW and pairs verification, search on labelled photos")
          ->require_subcommand(1);

  auto lfw = std::make_shared<LfwArgs>();
  auto* lfw_cmd = eval_cmd->add_subcommand("lfw", "LFW protocol: 10-fold accuracy, TAR@FAR, calibrated thresholds");
  add_pairs_input(lfw_cmd, lfw->pairs, "LFW pairs.txt (folds, same and different pairs)", lfw->images,
                  "Folder of <Name>/<Name>_NNNN.jpg");
  lfw_cmd->add_flag("--aligned", lfw->aligned, "Images are already aligned crops: run the recogniser only");
  lfw_cmd->add_option("--roc", lfw->roc, "Write the ROC curve (threshold,far,tar) to this CSV file");
  lfw_cmd->add_flag("--all-pairs,!--no-all-pairs", lfw->all_pairs,
                    "Also calibrate thresholds on every pair of the images (default on)");
  lfw_cmd->add_flag("--json", lfw->json, "One JSON object");
  lfw_cmd->add_option("-j,--jobs", common.jobs, "Worker threads")->capture_default_str()->check(integer_in(1, 256));
  commands.push_back({lfw_cmd, [&common, lfw] { return run_eval_lfw(common, *lfw); }});

  auto pairs = std::make_shared<PairsArgs>();
  auto* pairs_cmd = eval_cmd->add_subcommand(
      "pairs", "Any pairs file (CFP, CALFW, your photos): k-fold accuracy, TAR@FAR, missing faces, thresholds");
  add_pairs_input(pairs_cmd, pairs->pairs, "Lines photo_a<TAB>photo_b<TAB>1|0 (1 = same person)", pairs->images,
                  "Folder the photo paths are relative to");
  pairs_cmd->add_option("--folds", pairs->fold_size,
                        "Folds of N consecutive pairs (e.g. 700 for CFP); default 10 interleaved folds")
      ->check(integer_in(1, 100000000));
  pairs_cmd->add_option("--roc", pairs->roc, "Write the ROC curve (threshold,far,tar) to this CSV file");
  pairs_cmd->add_flag("--json", pairs->json, "One JSON object");
  add_engine_options(pairs_cmd, common);
  commands.push_back({pairs_cmd, [&common, pairs] { return run_eval_pairs(common, *pairs); }});

  auto search = std::make_shared<SearchEvalArgs>();
  auto* search_cmd = eval_cmd->add_subcommand("search", "Folder-per-person photos: rank-1, mAP, precision/recall");
  search_cmd->add_option("--labels", search->labels, "Folder with one sub-folder of photos per person")
      ->required()->check(CLI::ExistingDirectory);
  auto* threshold = search_cmd->add_option("--threshold", search->threshold, "Threshold (default: the pack's)")
                        ->check(number_in(-1, 1));
  search_cmd->add_flag("--json", search->json, "One JSON object");
  add_engine_options(search_cmd, common);
  commands.push_back({search_cmd, [&common, search, threshold] {
                        return run_eval_search(common, *search, threshold->count() > 0);
                      }});
}

}  // namespace facesearch::cli
