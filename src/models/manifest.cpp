// The manifest format (models/*.json, installed manifest.json): ModelPack to and from JSON, without the registries
// and installers of the rest of fs_models, so the manifest fuzz target (tests/fuzz/manifest.cpp) links it alone.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>

#include "models/model_pack.hpp"

namespace facesearch {

namespace {

// An integer member in [lo, hi], else `fallback` when absent. nlohmann's get<int>() would convert 1e300 or 2.5 with
// undefined behaviour (a float cast out of range), so anything but an integer in range is refused.
std::uint64_t integer_member(const nlohmann::json& object, const char* key, std::uint64_t fallback, std::uint64_t lo,
                             std::uint64_t hi, const std::string& what) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  const nlohmann::json& v = object[key];
  // Parsed files hold non-negative integers as unsigned, values set in code (to_json) as signed.
  const bool natural = v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (natural && v.get<std::uint64_t>() >= lo && v.get<std::uint64_t>() <= hi) return v.get<std::uint64_t>();
  throw std::runtime_error(what + ": \"" + key + "\" must be an integer from " + std::to_string(lo) + " to " +
                           std::to_string(hi));
}

}  // namespace

std::string ModelPack::fingerprint() const {
  // The embedder's hash identifies the embedding space; the pack id and version make it readable.
  auto it = files.find("embedder");
  std::string emb = it == files.end() ? "none" : it->second.sha256.substr(0, 16);
  return id + "@" + std::to_string(version) + ":" + emb;
}

bool ModelPack::matches_library(const std::string& library_fingerprint) const {
  const std::string mine = fingerprint();
  if (library_fingerprint == mine) return true;
  const std::string embedder_part = mine.substr(mine.find(':'));  // ":" + the embedder's hash
  return std::any_of(formerly.begin(), formerly.end(),
                     [&](const std::string& name) { return library_fingerprint == name + embedder_part; });
}

ModelPack ModelPack::from_json(const nlohmann::json& j) {
  ModelPack p;
  p.id = j.at("id").get<std::string>();
  p.version = static_cast<int>(integer_member(j, "version", 1, 1, INT_MAX, "pack " + p.id));
  p.description = j.value("description", "");
  p.license = j.value("license", "");
  p.notes = j.value("notes", "");
  p.source = j.value("source", nlohmann::json::object());
  p.detector = j.at("detector");
  p.landmarker = j.value("landmarker", nlohmann::json::object());
  p.keypoints = j.value("keypoints", nlohmann::json::object());
  p.embedder = j.at("embedder");
  const nlohmann::json formerly = j.value("formerly", nlohmann::json::array());
  for (const nlohmann::json& name : formerly.is_array() ? formerly : nlohmann::json::array({nullptr})) {
    // "id@version", as a fingerprint begins; anything else could never match one.
    const std::string text = name.is_string() ? name.get<std::string>() : "";
    const size_t at = text.find('@');
    const bool good = at != 0 && at != std::string::npos && at + 1 < text.size() &&
                      text.find(':') == std::string::npos &&
                      text.find_first_not_of("0123456789", at + 1) == std::string::npos;
    if (!good) throw std::runtime_error("pack " + p.id + ": \"formerly\" is a list of names like \"default@1\"");
    p.formerly.push_back(text);
  }
  integer_member(p.embedder, "dim", 0, 1, 65536, "pack " + p.id + " embedder");  // read as an int by embedding_dim()
  // The pack's runtime is each network's unless that network's own object names another (infer/network.hpp).
  p.runtime = j.value("runtime", "");
  if (!p.runtime.empty())
    for (nlohmann::json* network : {&p.detector, &p.landmarker, &p.keypoints, &p.embedder})
      if (!network->empty() && !network->contains("runtime")) (*network)["runtime"] = p.runtime;
  const nlohmann::json thresholds = j.value("thresholds", nlohmann::json::object());
  for (auto& [k, v] : thresholds.items()) p.thresholds[k] = v.get<double>();
  for (auto& [role, f] : j.at("files").items()) {
    ModelFile mf;
    mf.role = role;
    mf.name = f.at("name").get<std::string>();
    mf.path = f.value("path", mf.name);
    mf.size = integer_member(f, "size", 0, 0, UINT64_MAX, "pack " + p.id + " file " + mf.name);
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
  if (!formerly.empty()) j["formerly"] = formerly;
  if (!runtime.empty()) j["runtime"] = runtime;
  if (!landmarker.empty()) j["landmarker"] = landmarker;
  if (!keypoints.empty()) j["keypoints"] = keypoints;
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
