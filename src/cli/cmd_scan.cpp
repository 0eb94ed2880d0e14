// facesearch scan and faces: photos analysed on the fly, without a library.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "app/records.hpp"
#include "cli/common.hpp"

namespace fs = std::filesystem;

namespace facesearch::cli {

namespace {

struct ScanArgs {
  std::string query;
  std::vector<std::string> targets;
  MatchOptions match;
  bool recursive = true;
};

int run_scan(const CommonOptions& common, const ScanArgs& args) {
  const std::optional<float> threshold = args.match.given_threshold();
  app::Session session(session_options(common));
  app::QueryPhoto query;
  try {
    query = session.analyze_query(args.query, args.match.query_face);
  } catch (const ImageError& e) {
    std::fprintf(error_stream(), "error: query %s: %s\n", args.query.c_str(), e.what());
    return kUsage;
  }
  const Face* face = query.face();
  if (!face) {
    if (query.found.faces.empty())
      std::fprintf(error_stream(), "error: no face found in the query %s\n", args.query.c_str());
    else
      std::fprintf(error_stream(), "error: the query has %zu face(s); there is no face %s\n", query.found.faces.size(),
                   args.match.query_face.c_str());
    return kNoQueryFace;
  }
  if (!common.quiet && query.found.faces.size() > 1)
    std::fprintf(stderr, "query has %zu faces; using face %d (box %s; --query-face to choose)\n",
                 query.found.faces.size(), query.chosen, box_text(face->box).c_str());

  Progress progress("scan", common.quiet);
  BatchCallbacks cb;
  cb.on_skip = [&](const SkippedFile& s) { report_skip(progress, s, common.quiet); };
  cb.on_progress = [&](size_t d, size_t t, size_t f) { progress.update(d, t, f); };
  app::SearchRequest request;
  request.threshold = threshold;
  request.top = args.match.top;
  const std::vector<fs::path> roots(args.targets.begin(), args.targets.end());
  const ScanResult result = session.scan(face->embedding, roots, args.recursive, request, cb);
  progress.finish();
  print_matches(result.matches, args.match.json);
  const auto& s = result.stats;
  if (!common.quiet)
    std::fprintf(stderr, "%zu images scanned, %zu faces found, %zu matches (threshold %.3f), %zu skipped, %.2f s (%.1f images/s)\n",
                 s.images, s.faces, result.matches.size(), session.threshold(threshold), s.skipped, s.seconds,
                 s.seconds > 0 ? s.images / s.seconds : 0.0);
  return kOk;
}

struct FacesArgs {
  std::vector<std::string> photos;
  bool json = false;
  bool embeddings = false;
  bool recursive = true;
};

int run_faces(const CommonOptions& common, const FacesArgs& args) {
  const bool json = args.json || args.embeddings;
  const std::vector<fs::path> files = collect_files({args.photos.begin(), args.photos.end()}, args.recursive);
  // Results come back in completion order; print them in input order.
  std::map<fs::path, nlohmann::json> records;
  std::map<fs::path, ImageFaces> images;
  Progress progress("faces", common.quiet || files.size() < 2);
  BatchCallbacks cb;
  cb.on_image = [&](ImageFaces&& img) {
    if (json)
      records[img.path] = image_json(img, args.embeddings);
    else
      images[img.path] = std::move(img);
  };
  cb.on_skip = [&](const SkippedFile& s) {
    records[s.path] = unusable_file_json(s);
    report_skip(progress, s, common.quiet || json);
  };
  cb.on_progress = [&](size_t d, size_t t, size_t f) { progress.update(d, t, f); };
  app::Session session(session_options(common));
  const BatchStats stats = session.faces(files, args.embeddings, cb);
  progress.finish();
  for (const auto& f : files) {
    if (json) {
      std::cout << json_text(records[f]) << '\n';
    } else if (auto it = images.find(f); it != images.end()) {
      std::cout << fmt::format("{} ({}x{}, {}): {} face(s)\n", f.string(), it->second.width, it->second.height,
                               media_format_name(it->second), it->second.faces.size());
      for (size_t i = 0; i < it->second.faces.size(); ++i) {
        const auto& face = it->second.faces[i];
        const std::string when = it->second.kind == MediaKind::Video ? "  " + appearance_text(face.time) : "";
        std::cout << fmt::format("  #{} box {}  score {:.3f}{}\n", i, box_text(face.box), face.score, when);
      }
    }
  }
  std::cout.flush();  // results before the summary when both go to one terminal or log
  if (!common.quiet)
    std::fprintf(stderr, "%zu images, %zu faces, %zu skipped, %.2f s\n", stats.images, stats.faces, stats.skipped,
                 stats.seconds);
  return kOk;
}

}  // namespace

void add_scan_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto scan = std::make_shared<ScanArgs>();
  auto* scan_cmd = app.add_subcommand("scan", "Search a folder for the person in a query photo (no index)");
  scan_cmd->add_option("-q,--query", scan->query, "Photo of the person to look for")->required();
  scan_cmd->add_option("-t,--target", scan->targets, "Folders or photos to search")->required();
  add_match_options(scan_cmd, scan->match);
  scan_cmd->add_flag("--recursive,!--no-recursive", scan->recursive, "Descend into sub-folders (default on)");
  add_engine_options(scan_cmd, common);
  commands.push_back({scan_cmd, [&common, scan] { return run_scan(common, *scan); }});

  auto faces = std::make_shared<FacesArgs>();
  auto* faces_cmd = app.add_subcommand("faces", "List every face in photos: box, landmarks, score");
  faces_cmd->add_option("photos", faces->photos, "Photos or folders")->required();
  faces_cmd->add_flag("--json", faces->json, "One JSON object per image");
  faces_cmd->add_flag("--embeddings", faces->embeddings, "Add each face's L2-normalised embedding (JSON only)");
  faces_cmd->add_flag("--recursive,!--no-recursive", faces->recursive, "Descend into sub-folders (default on)");
  add_engine_options(faces_cmd, common);
  commands.push_back({faces_cmd, [&common, faces] { return run_faces(common, *faces); }});
}

}  // namespace facesearch::cli
