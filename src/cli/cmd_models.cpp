// facesearch models: list and install model packs.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "models/model_pack.hpp"

namespace fs = std::filesystem;

namespace facesearch::cli {

namespace {

int run_models_list(const CommonOptions& common, bool json) {
  const fs::path root = chosen_models_root(common);
  for (const auto& pack : builtin_packs()) {
    auto states = verify_pack(pack, pack_dir(pack, root));
    bool ok = std::all_of(states.begin(), states.end(), [](auto& s) { return s.second == FileState::Ok; });
    std::string source = pack.source.value("type", "") == "npm"
                             ? "npm " + pack.source.value("package", "") + "@" + pack.source.value("version", "")
                             : pack.source.dump();
    if (json) {
      nlohmann::json files = nlohmann::json::object();
      for (auto& [role, st] : states) files[role] = {{"name", pack.files.at(role).name}, {"state", file_state_name(st)}};
      std::cout << nlohmann::json{{"id", pack.id},          {"version", pack.version},
                                  {"source", source},       {"license", pack.license},
                                  {"installed", ok},        {"dir", pack_dir(pack, root).string()},
                                  {"fingerprint", pack.fingerprint()}, {"thresholds", pack.thresholds},
                                  {"files", files}}
                       .dump()
                << '\n';
    } else {
      std::cout << fmt::format("{}  {}\n  source:  {}\n  license: {}\n  dir:     {}\n", pack.id,
                               ok ? "installed, sha256 verified" : "NOT INSTALLED", source, pack.license,
                               pack_dir(pack, root).string());
      for (auto& [role, st] : states)
        std::cout << fmt::format("  {:<11} {:<18} {}\n", role, pack.files.at(role).name, file_state_name(st));
    }
  }
  return kOk;
}

int run_models_fetch(const CommonOptions& common, const std::vector<std::string>& ids) {
  const fs::path root = chosen_models_root(common);
  int rc = kOk;
  for (const auto& id : ids.empty() ? std::vector<std::string>{"default"} : ids) {
    ModelPack pack = find_builtin_pack(id);
    auto states = verify_pack(pack, pack_dir(pack, root));
    if (std::all_of(states.begin(), states.end(), [](auto& s) { return s.second == FileState::Ok; })) continue;
    std::string error;
    if (!install_pack_from_npm(pack, root, error, common.quiet)) {
      std::fprintf(stderr, "error: cannot install pack %s: %s\n", id.c_str(), error.c_str());
      rc = kUsage;
      continue;
    }
    if (!common.quiet) std::fprintf(stderr, "installed pack %s in %s (sha256 verified)\n", id.c_str(), pack_dir(pack, root).c_str());
  }
  return rc;
}

}  // namespace

void add_models_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto* models_cmd = app.add_subcommand("models", "Model packs: list, fetch");
  models_cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto* list_cmd = models_cmd->add_subcommand("list", "Packs, their source, license and install state");
  list_cmd->add_flag("--json", *json, "JSON Lines");
  commands.push_back({list_cmd, [&common, json] { return run_models_list(common, *json); }});
  auto fetch_ids = std::make_shared<std::vector<std::string>>();
  auto* fetch_cmd = models_cmd->add_subcommand("fetch", "Download (npm), verify and install packs");
  fetch_cmd->add_option("packs", *fetch_ids, "Pack ids (default: default)");
  commands.push_back({fetch_cmd, [&common, fetch_ids] { return run_models_fetch(common, *fetch_ids); }});
}

}  // namespace facesearch::cli
