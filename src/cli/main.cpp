// facesearch: the command line, a thin shell over the Engine.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "cli/common.hpp"
#include "engine/batch.hpp"
#include "engine/records.hpp"
#include "library/library.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
using namespace facesearch::cli;

namespace {

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
  std::cout.flush();  // results before the summary when both go to one terminal or log
  if (!common.quiet)
    std::fprintf(stderr, "%zu images, %zu faces, %zu skipped, %.2f s\n", stats.images, stats.faces, stats.skipped,
                 stats.seconds);
  return kOk;
}

// ---- library: index, search, status, forget ------------------------------------------------------------------

fs::path library_dir(const CommonOptions& o) { return library_spec(o); }

int run_index(const CommonOptions& common, const std::vector<std::string>& folders, bool reembed) {
  EngineConfig config = engine_config(common);
  Library library(library_dir(common));
  Progress progress("index", common.quiet);
  BatchCallbacks cb;
  cb.on_skip = [&](const SkippedFile& s) { report_skip(progress, s, common.quiet); };
  cb.on_progress = [&](size_t d, size_t t, size_t f) { progress.update(d, t, f); };
  IndexOptions options;
  options.jobs = common.jobs;
  options.reembed = reembed;
  IndexReport r = library.index(std::vector<fs::path>(folders.begin(), folders.end()), config, options, cb);
  progress.finish();
  if (!common.quiet)
    std::fprintf(stderr,
                 "%zu files: %zu new, %zu changed, %zu unchanged, %zu touched, %zu moved, %zu copied, %zu removed, "
                 "%zu unusable; %zu faces added from %zu images, %.2f s\n",
                 r.files, r.added, r.changed, r.unchanged, r.touched, r.moved, r.copied, r.removed, r.failed,
                 r.faces_added, r.embedded_images, r.seconds);
  return kOk;
}

struct SearchArgs {
  std::vector<std::string> queries;
  float threshold = 0;
  bool threshold_given = false;
  size_t top = 0;
  std::string query_face = "best";
  bool json = false;
  std::string backend = "auto";
  std::string person;  // --person NAME|ID
};

int run_search(const CommonOptions& common, const SearchArgs& args) {
  if (args.queries.empty() && args.person.empty()) {
    std::fprintf(stderr, "error: search needs -q PHOTO or --person NAME|ID\n");
    return kUsage;
  }
  if (args.queries.empty()) return run_search_person(common, args.person, args.top, args.json);
  Library library(library_dir(common), /*create=*/false);
  Engine engine(engine_config(common));
  library.check_pack(engine.pack());
  std::vector<Embedding> embeddings;
  for (const auto& q : args.queries) {
    ImageFaces faces;
    try {
      faces = engine.analyze_file(q);
    } catch (const ImageError& e) {
      std::fprintf(stderr, "error: query %s: %s\n", q.c_str(), e.what());
      return kUsage;
    }
    int qi = choose_face(faces, args.query_face);
    if (qi < 0) {
      std::fprintf(stderr, "error: no face %sin the query %s\n",
                   faces.faces.empty() ? "" : ("'" + args.query_face + "' ").c_str(), q.c_str());
      return kNoQueryFace;
    }
    embeddings.push_back(faces.faces[static_cast<size_t>(qi)].embedding);
  }
  SearchOptions options;
  options.threshold = args.threshold_given ? args.threshold : static_cast<float>(engine.pack().default_threshold());
  options.top = args.top;
  options.backend = args.backend == "exact" ? VectorBackend::Exact : args.backend == "hnsw" ? VectorBackend::Hnsw : VectorBackend::Auto;
  const auto start = std::chrono::steady_clock::now();
  auto matches = library.search(combine_queries(embeddings), options);
  if (!args.person.empty()) keep_person_matches(common, args.person, matches);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (args.json) {
    for (const auto& m : matches) std::cout << match_json(m).dump() << '\n';
  } else if (!matches.empty()) {
    std::cout << fmt::format("{:>10}  {:<24}  {}\n", "similarity", "box (x1,y1,x2,y2)", "path");
    for (const auto& m : matches) {
      auto box = fmt::format("{:.0f},{:.0f},{:.0f},{:.0f}", m.face.box.x1, m.face.box.y1, m.face.box.x2, m.face.box.y2);
      std::cout << fmt::format("{:>10.4f}  {:<24}  {}\n", m.similarity, box, m.path.string());
    }
  }
  std::cout.flush();
  if (!common.quiet)
    std::fprintf(stderr, "%zu matches (threshold %.3f), library search %.1f ms\n", matches.size(), options.threshold, ms);
  return kOk;
}

int run_status(const CommonOptions& common, bool json) {
  Library library(library_dir(common), /*create=*/false);
  LibraryStatus s = library.status();
  if (json) {
    std::cout << nlohmann::json{{"library", s.dir.string()},       {"pack", s.pack},
                                {"images", s.images},              {"faces", s.faces},
                                {"zero_face_images", s.zero_face_images}, {"skipped_files", s.failed_images},
                                {"bytes_on_disk", s.bytes_on_disk}, {"vector_backend", s.vector_backend}}
                     .dump()
              << '\n';
  } else {
    std::cout << fmt::format(
        "library:        {}\nmodel pack:     {}\nimages:         {} ({} without faces, {} unusable files)\n"
        "faces:          {}\nsize on disk:   {:.1f} MiB\nvector search:  {}\n",
        s.dir.string(), s.pack.empty() ? "(none yet)" : s.pack, s.images, s.zero_face_images, s.failed_images, s.faces,
        s.bytes_on_disk / 1048576.0, s.vector_backend);
  }
  return kOk;
}

int run_forget(const CommonOptions& common, const std::vector<std::string>& paths) {
  Library library(library_dir(common), /*create=*/false);
  size_t n = library.forget(std::vector<fs::path>(paths.begin(), paths.end()));
  if (!common.quiet) std::fprintf(stderr, "removed %zu image(s) and their faces\n", n);
  return kOk;
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
  app.add_option("--library", common.library,
                 "Face library directory (default: $FACESEARCH_LIBRARY or ~/.local/share/facesearch/default)");
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


  std::vector<std::string> index_folders;
  bool reembed = false;
  auto* index_cmd = app.add_subcommand("index", "Add photos to the library (only what changed since the last run)");
  index_cmd->add_option("folders", index_folders, "Folders or photos")->required();
  index_cmd->add_flag("--reembed", reembed, "Forget every face and index again (e.g. after changing --pack)");
  add_engine_options(index_cmd, common);

  SearchArgs search;
  auto* search_cmd = app.add_subcommand("search", "Find a person in the library");
  search_cmd->add_option("-q,--query", search.queries, "Photo of the person; several photos make one better query");
  search_cmd->add_option("--person", search.person, "A person of `people list` (id or name): its photos, or with -q "
                         "the query's matches among them");
  auto* search_threshold = search_cmd->add_option("--threshold", search.threshold, "Minimum cosine similarity")
                               ->check(CLI::Range(-1.0, 1.0));
  search_cmd->add_option("--top", search.top, "Show at most N matches (0: all)");
  search_cmd->add_option("--query-face", search.query_face, "Which face of the query: best, largest or its number")
      ->capture_default_str();
  search_cmd->add_flag("--json", search.json, "JSON Lines: one match per line");
  search_cmd->add_option("--vector-search", search.backend, "exact, hnsw or auto (by library size)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "exact", "hnsw"}));
  add_engine_options(search_cmd, common);

  bool status_json = false;
  auto* status_cmd = app.add_subcommand("status", "What the library holds");
  status_cmd->add_flag("--json", status_json, "One JSON object");

  std::vector<std::string> forget_paths;
  auto* forget_cmd = app.add_subcommand("forget", "Remove photos (or folders) and their faces from the library");
  forget_cmd->add_option("paths", forget_paths, "Photos or folders")->required();

  Commands commands;
  add_models_commands(app, common, commands);
  add_eval_commands(app, common, commands);
  add_people_commands(app, common, commands);
  add_serve_command(app, common, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  // Packs added with `models add` are looked up where --models points, by every command.
  if (!common.models_dir.empty()) set_models_root(common.models_dir);
  if (faces.embeddings) faces.json = true;
  scan.threshold_given = threshold_opt->count() > 0;
  search.threshold_given = search_threshold->count() > 0;
  try {
    if (*scan_cmd) return run_scan(common, scan);
    if (*faces_cmd) return run_faces(common, faces);
    if (*index_cmd) return run_index(common, index_folders, reembed);
    if (*search_cmd) return run_search(common, search);
    if (*status_cmd) return run_status(common, status_json);
    if (*forget_cmd) return run_forget(common, forget_paths);
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const ModelMismatchError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kUsage;
  }
  return kUsage;
}
