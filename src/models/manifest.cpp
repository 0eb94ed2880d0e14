// The manifest format (models/*.json, installed manifest.json): ModelPack to and from JSON, without the registries
// and installers of the rest of fs_models, so the manifest fuzz target (tests/fuzz/manifest.cpp) links it alone.
#include <algorithm>
#include <stdexcept>

#include "models/model_pack.hpp"

namespace facesearch {

std::string ModelPack::fingerprint() const {
  // The embedder's hash identifies the embedding space; the pack id and version make it readable.
  auto it = files.find("embedder");
  std::string emb = it == files.end() ? "none" : it->second.sha256.substr(0, 16);
  return id + "@" + std::to_string(version) + ":" + emb;
}

ModelPack ModelPack::from_json(const nlohmann::json& j) {
  ModelPack p;
  p.id = j.at("id").get<std::string>();
  p.version = j.value("version", 1);
  p.description = j.value("description", "");
  p.license = j.value("license", "");
  p.notes = j.value("notes", "");
  p.source = j.value("source", nlohmann::json::object());
  p.detector = j.at("detector");
  p.landmarker = j.value("landmarker", nlohmann::json::object());
  p.embedder = j.at("embedder");
  // The pack's runtime is each network's unless that network's own object names another (infer/network.hpp).
  p.runtime = j.value("runtime", "");
  if (!p.runtime.empty())
    for (nlohmann::json* network : {&p.detector, &p.landmarker, &p.embedder})
      if (!network->empty() && !network->contains("runtime")) (*network)["runtime"] = p.runtime;
  const nlohmann::json thresholds = j.value("thresholds", nlohmann::json::object());
  for (auto& [k, v] : thresholds.items()) p.thresholds[k] = v.get<double>();
  for (auto& [role, f] : j.at("files").items()) {
    ModelFile mf;
    mf.role = role;
    mf.name = f.at("name").get<std::string>();
    mf.path = f.value("path", mf.name);
    mf.size = f.value("size", std::uint64_t{0});
    // null = the manifest's author could not verify the hash; see install_pack_from_url.
    const auto& sha = f.at("sha256");
    mf.sha256 = sha.is_null() ? "" : sha.get<std::string>();
    if (!mf.sha256.empty() && mf.sha256.size() != 64)
      throw std::runtime_error("pack " + p.id + ": sha256 of " + mf.name + " is not 64 hex digits");
    mf.url = f.value("url", "");
    mf.package = f.value("package", "");
    if (mf.name.find('/') != std::string::npos || mf.name.starts_with("."))
      throw std::runtime_error("pack " + p.id + ": bad file name '" + mf.name + "'");
    p.files[role] = mf;
  }
  return p;
}

nlohmann::json ModelPack::to_json() const {
  nlohmann::json j = {{"id", id},           {"version", version}, {"description", description},
                      {"license", license}, {"source", source},   {"detector", detector},
                      {"embedder", embedder}, {"thresholds", thresholds}};
  if (!notes.empty()) j["notes"] = notes;
  if (!runtime.empty()) j["runtime"] = runtime;
  if (!landmarker.empty()) j["landmarker"] = landmarker;
  nlohmann::json fj = nlohmann::json::object();
  for (const auto& [role, f] : files) {
    nlohmann::json e = {{"name", f.name}, {"path", f.path}, {"size", f.size}};
    e["sha256"] = f.sha256.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.sha256);
    if (!f.url.empty()) e["url"] = f.url;
    if (!f.package.empty()) e["package"] = f.package;
    fj[role] = e;
  }
  j["files"] = fj;
  return j;
}

bool ModelPack::fully_pinned() const {
  return std::all_of(files.begin(), files.end(), [](const auto& f) { return !f.second.sha256.empty(); });
}

}  // namespace facesearch
