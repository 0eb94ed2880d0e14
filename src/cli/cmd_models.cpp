// facesearch models: list and install model packs.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "app/models.hpp"
#include "cli/common.hpp"
#include "detect/registry.hpp"
#include "embed/registry.hpp"
#include "models/local_pack.hpp"
#include "models/model_pack.hpp"

namespace fs = std::filesystem;

namespace facesearch::cli {

namespace {

std::string describe_source(const ModelPack& pack) {
  const std::string type = pack.source.value("type", "");
  if (type == "npm") {
    std::string s = "npm " + pack.source.value("package", "") + "@" + pack.source.value("version", "");
    for (const auto& extra : pack.source.value("extra_packages", nlohmann::json::array()))
      s += " + npm " + extra.value("package", "") + "@" + extra.value("version", "");
    return s;
  }
  if (type == "url" && pack.source.contains("archive")) return pack.source["archive"].value("url", "");
  if (type == "url") {
    std::string urls;
    for (const auto& [role, f] : pack.files) urls += (urls.empty() ? "" : " ") + f.url;
    return urls;
  }
  if (type == "local") return "local files (models add)";
  return pack.source.dump();
}

int run_models_list(const CommonOptions& common, bool json) {
  const fs::path root = chosen_models_root(common);
  for (const auto& pack : list_packs(root)) {
    auto states = verify_pack(pack, pack_dir(pack, root));
    bool ok = std::all_of(states.begin(), states.end(), [](auto& s) { return s.second == FileState::Ok; });
    const std::string source = describe_source(pack);
    if (json) {
      nlohmann::json files = nlohmann::json::object();
      for (auto& [role, st] : states) files[role] = {{"name", pack.files.at(role).name}, {"state", file_state_name(st)}};
      std::cout << nlohmann::json{{"id", pack.id},          {"version", pack.version},
                                  {"source", source},       {"license", pack.license},
                                  {"installed", ok},        {"dir", pack_dir(pack, root).string()},
                                  {"fingerprint", pack.fingerprint()}, {"thresholds", pack.thresholds},
                                  {"builtin", pack.builtin}, {"files", files}}
                       .dump()
                << '\n';
    } else {
      std::cout << fmt::format("{}  {}{}\n  source:  {}\n  license: {}\n  dir:     {}\n", pack.id,
                               ok ? "installed, sha256 verified" : "NOT INSTALLED",
                               pack.builtin ? "" : " (manifest in its dir)", source, pack.license,
                               pack_dir(pack, root).string());
      if (!ok && !pack.notes.empty()) std::cout << fmt::format("  note:    {}\n", pack.notes);
      for (auto& [role, st] : states)
        std::cout << fmt::format("  {:<11} {:<18} {}\n", role, pack.files.at(role).name, file_state_name(st));
    }
  }
  return kOk;
}

int run_models_fetch(const CommonOptions& common, const std::vector<std::string>& ids, bool no_verify) {
  int rc = kOk;
  for (const auto& r : app::install_packs(ids, chosen_models_root(common), no_verify, common.quiet)) {
    if (!r.installed) {
      std::fprintf(error_stream(), "error: cannot install pack %s: %s\n", r.id.c_str(), r.error.c_str());
      rc = kUsage;
    } else if (!r.already && !common.quiet) {
      std::fprintf(stderr, "installed pack %s in %s (sha256 verified)\n", r.id.c_str(), r.dir.c_str());
    }
  }
  return rc;
}

int run_models_add(const CommonOptions& common, const LocalPackSpec& spec) {
  const fs::path root = chosen_models_root(common);
  ModelPack pack;
  try {
    pack = add_local_pack(spec, root);
  } catch (const std::exception& e) {
    std::fprintf(error_stream(), "error: %s\n", e.what());
    return kUsage;
  }
  if (!common.quiet) {
    std::fprintf(stderr, "installed pack %s in %s (%d-d embeddings, threshold %.3f)\n", pack.id.c_str(),
                 pack_dir(pack, root).c_str(), pack.embedding_dim(), pack.default_threshold());
    for (const auto& [role, f] : pack.files)
      std::fprintf(stderr, "  %-10s %s  sha256 %s\n", role.c_str(), f.name.c_str(), f.sha256.c_str());
  }
  return kOk;
}

std::string either(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

}  // namespace

void add_models_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto* models_cmd = app.add_subcommand("models", "Model packs: list, fetch, add");
  models_cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto* list_cmd = models_cmd->add_subcommand("list", "Packs, their source, license and install state");
  list_cmd->add_flag("--json", *json, "JSON Lines");
  commands.push_back({list_cmd, [&common, json] { return run_models_list(common, *json); }});
  auto fetch_ids = std::make_shared<std::vector<std::string>>();
  auto no_verify = std::make_shared<bool>(false);
  auto* fetch_cmd = models_cmd->add_subcommand("fetch", "Download (npm or HTTPS), verify and install packs");
  fetch_cmd->add_option("packs", *fetch_ids, "Pack ids (default: default)");
  fetch_cmd->add_flag("--no-verify", *no_verify,
                      "Accept files whose sha256 the manifest does not record, and pin the hashes computed now");
  commands.push_back(
      {fetch_cmd, [&common, fetch_ids, no_verify] { return run_models_fetch(common, *fetch_ids, *no_verify); }});

  auto add = std::make_shared<LocalPackSpec>();
  auto* add_cmd = models_cmd->add_subcommand("add", "Install a pack from local model files");
  add_cmd->add_option("name", add->name, "Name of the new pack (for --pack)")->required();
  add_cmd->add_option("--detector", add->detector, "Detector ONNX file")->required()->check(CLI::ExistingFile);
  add_cmd->add_option("--detector-type", add->detector_type, either(detector_type_names()))
      ->required()->check(CLI::IsMember(detector_type_names()));
  add_cmd->add_option("--detector-input", add->detector_input, "Network input W H (default: the type's)")
      ->expected(2);
  add_cmd->add_option("--landmarker", add->landmarker, "68-point landmarker ONNX (detectors without keypoints)")
      ->check(CLI::ExistingFile);
  add_cmd->add_option("--recognizer", add->recognizer, "Recogniser (embedder) ONNX file")
      ->required()->check(CLI::ExistingFile);
  const std::vector<std::string> recognizers = recognizer_type_names(/*single_onnx_only=*/true);
  add_cmd->add_option("--recognizer-type", add->recognizer_type, either(recognizers))
      ->required()->check(CLI::IsMember(recognizers));
  add_cmd
      ->add_option_function<double>(
          "--threshold", [add](const double& t) { add->threshold = t; },
          "Default cosine threshold for scan/search (default: the recogniser type's)")
      ->check(number_in(-1, 1));
  add_cmd->add_option("--license", add->license, "License of the weights, recorded in the manifest");
  add_cmd->add_option("--runtime", add->runtime, "Run the networks only on this runtime (default: the build's)")
      ->check(CLI::IsMember({"onnxruntime", "openvino", "opencv"}));
  add_cmd->add_flag("--replace", add->replace, "Overwrite an installed pack of that name");
  commands.push_back({add_cmd, [&common, add] { return run_models_add(common, *add); }});
}

}  // namespace facesearch::cli
