#include "models/model_pack.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "embed/registry.hpp"
#include "models/builtin_manifests.hpp"

namespace fs = std::filesystem;

namespace facesearch {

std::string ModelPack::fingerprint() const {
  // The embedder's hash identifies the embedding space; the pack id and version make it readable.
  auto it = files.find("embedder");
  std::string emb = it == files.end() ? "none" : it->second.sha256.substr(0, 16);
  return id + "@" + std::to_string(version) + ":" + emb;
}

double ModelPack::default_threshold() const {
  auto it = thresholds.find("default");
  return it == thresholds.end() ? recognizer_type(embedder.value("type", "")).default_threshold : it->second;
}

int ModelPack::embedding_dim() const {
  if (embedder.contains("dim")) return embedder["dim"].get<int>();
  return embedder_defaults(embedder.value("type", "")).at("dim").get<int>();
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

std::vector<ModelPack> builtin_packs() {
  std::vector<ModelPack> packs;
  for (const char* text : kBuiltinManifests) packs.push_back(ModelPack::from_json(nlohmann::json::parse(text)));
  return packs;
}

static std::optional<ModelPack> read_installed_manifest(const std::string& id, const fs::path& root) {
  const fs::path path = root / id / kInstalledManifest;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
    ModelPack p = ModelPack::from_json(j);
    if (p.id != id) throw std::runtime_error("it names pack '" + p.id + "'");
    p.builtin = false;
    return p;
  } catch (const std::exception& e) {
    throw std::runtime_error("installed manifest " + path.string() + " is unusable: " + e.what());
  }
}

ModelPack find_pack(const std::string& id, const fs::path& root) {
  std::optional<ModelPack> builtin;
  for (auto& p : builtin_packs())
    if (p.id == id) builtin = p;
  if (builtin && builtin->fully_pinned()) return *builtin;
  if (auto installed = read_installed_manifest(id, root)) return *installed;
  if (builtin) return *builtin;
  throw std::runtime_error("unknown model pack '" + id + "' (see `facesearch models list`)");
}

std::vector<ModelPack> list_packs(const fs::path& root) {
  std::vector<ModelPack> packs;
  for (const auto& b : builtin_packs()) packs.push_back(find_pack(b.id, root));
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return packs;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory() && !e.path().filename().string().starts_with(".")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const std::string id = d.filename().string();
    if (std::any_of(packs.begin(), packs.end(), [&](const ModelPack& p) { return p.id == id; })) continue;
    try {
      if (auto p = read_installed_manifest(id, root)) packs.push_back(*p);
    } catch (const std::exception&) {
      // A broken manifest in the cache must not hide the other packs; loading that pack reports it.
    }
  }
  return packs;
}

static fs::path& models_root_override() {
  static fs::path root;
  return root;
}

void set_models_root(const fs::path& root) { models_root_override() = root; }

fs::path models_root() {
  if (!models_root_override().empty()) return models_root_override();
  if (const char* e = std::getenv("FACESEARCH_MODELS"); e && *e) return e;
  if (const char* e = std::getenv("XDG_CACHE_HOME"); e && *e) return fs::path(e) / "facesearch" / "models";
  if (const char* e = std::getenv("HOME"); e && *e) return fs::path(e) / ".cache" / "facesearch" / "models";
  return fs::temp_directory_path() / "facesearch-models";
}

fs::path pack_dir(const ModelPack& pack, const fs::path& root) { return root / pack.id; }

}  // namespace facesearch
