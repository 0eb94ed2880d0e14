// Model packs and their accuracy, for the shells: installing packs (`models fetch`) and evaluating the session's
// pack (`eval`), thin over src/models and src/eval.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "models/model_pack.hpp"

namespace facesearch::app {

class Session;

struct PackInstall {
  std::string id;
  bool installed = false;       // present and verified now (possibly before this run)
  bool already = false;         // nothing was done: it was installed and verified already
  std::string error;            // why not
  std::filesystem::path dir;
};

// Installs each pack (the default pack when `ids` is empty) that is not installed and verified yet under `root`,
// from its npm or HTTPS source. A pack added from local files cannot be fetched again.
std::vector<PackInstall> install_packs(const std::vector<std::string>& ids, const std::filesystem::path& root,
                                       bool allow_unpinned, bool quiet);

// The session's pack on LFW pairs (`eval lfw`), with its engine options and jobs.
LfwEvaluation evaluate_lfw(Session& session, const std::filesystem::path& pairs, const std::filesystem::path& images,
                           bool aligned, bool all_pairs);
// The session's pack on a generic pairs file (`eval pairs`), with its engine options and jobs; fold_size 0: 10
// interleaved folds.
PairsEvaluation evaluate_pairs(Session& session, const std::filesystem::path& pairs, const std::filesystem::path& images,
                               std::size_t fold_size);
// The session's pack on folder-per-person photos (`eval search`), at the threshold given, else the pack's.
SearchEvalResult evaluate_search(Session& session, const std::filesystem::path& labels, std::optional<float> threshold);

}  // namespace facesearch::app
