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

double ModelPack::default_threshold() const {
  auto it = thresholds.find("default");
  return it == thresholds.end() ? recognizer_type(embedder.value("type", "")).default_threshold : it->second;
}

int ModelPack::embedding_dim() const {
  if (embedder.contains("dim")) return embedder["dim"].get<int>();
  return embedder_defaults(embedder.value("type", "")).at("dim").get<int>();
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

ModelPack find_pack(const std::string& id_given, const fs::path& root) {
  const std::string id = id_given == kDefaultPackAlias ? kDefaultPack : id_given;
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

std::optional<ModelPack> builtin_pack_formerly(const std::string& fingerprint) {
  for (auto& p : builtin_packs())
    if (p.fingerprint() != fingerprint && p.matches_library(fingerprint)) return p;
  return std::nullopt;
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
