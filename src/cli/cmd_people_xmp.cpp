// facesearch people export-xmp / import-xmp: person names as XMP face regions other photo programs read and write.
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>

#include "app/people_xmp.hpp"
#include "app/records.hpp"
#include "cli/common.hpp"

namespace facesearch::cli {

namespace {

struct XmpArgs {
  std::vector<std::filesystem::path> paths;
  bool in_place = false;
  bool json = false;
};

int run_export(const CommonOptions& common, const XmpArgs& args) {
  app::Session session(session_options(common));
  const app::XmpExportReport report = export_xmp(session, {args.paths, args.in_place});
  for (const auto& p : report.photos) {
    if (args.json) {
      std::cout << json_text(app::xmp_export_photo_json(p)) << '\n';
    } else if (p.status == "written") {
      std::cout << fmt::format("{:>3} regions  {}\n", p.regions.size(), p.written.string());
    } else if (!common.quiet) {
      std::fprintf(error_stream(), "%s: %s: %s\n", p.status == "error" ? "error" : "skipped", p.photo.c_str(),
                   p.reason.c_str());
    }
  }
  if (args.json) std::cout << json_text(app::xmp_export_summary_json(report)) << '\n';
  std::cout.flush();
  if (!common.quiet)
    std::fprintf(stderr, "%zu photos written (%zu face regions), %zu videos skipped, %zu errors\n", report.written,
                 report.regions, report.videos_skipped, report.errors);
  return kOk;
}

int run_import(const CommonOptions& common, const XmpArgs& args) {
  app::Session session(session_options(common));
  const app::XmpImportReport report = import_xmp(session, {args.paths});
  for (const auto& p : report.problems) {
    if (args.json)
      std::cout << json_text(app::xmp_problem_json(p)) << '\n';
    else if (!common.quiet)
      std::fprintf(error_stream(), "skipped: %s (%s): %s\n", p.photo.c_str(), p.source.c_str(), p.message.c_str());
  }
  for (const auto& r : report.regions) {
    if (args.json)
      std::cout << json_text(app::xmp_import_region_json(r)) << '\n';
    else
      std::cout << fmt::format("{:<9}  {:<24}  {:>8}  {:>6}  {}{}\n", r.status, r.area.name,
                               r.face ? std::to_string(r.face) : "-", r.person ? std::to_string(r.person) : "-",
                               r.photo.string(), r.reason.empty() ? "" : "  (" + r.reason + ")");
  }
  if (args.json) std::cout << json_text(app::xmp_import_summary_json(report)) << '\n';
  std::cout.flush();
  if (!common.quiet)
    std::fprintf(stderr,
                 "%zu photos (%zu with XMP, %zu without), %zu videos skipped; %zu named regions: %zu named, "
                 "%zu unchanged, %zu conflicts, %zu unmatched; %zu persons created; %zu problems\n",
                 report.photos, report.photos_with_xmp, report.photos_without_xmp, report.videos_skipped,
                 report.regions.size(), report.named, report.unchanged, report.conflicts, report.unmatched,
                 report.persons_created, report.problems.size());
  return kOk;
}

}  // namespace

void add_people_xmp_commands(CLI::App* people_cmd, CommonOptions& common, Commands& commands) {
  auto export_args = std::make_shared<XmpArgs>();
  auto* export_cmd = people_cmd->add_subcommand(
      "export-xmp", "Write named persons' faces as XMP face regions (sidecar photo.jpg.xmp, merged with what is there)");
  export_cmd->add_option("paths", export_args->paths, "Only photos under these files or folders (default: all)");
  export_cmd->add_flag("--in-place", export_args->in_place, "Write into the photos' embedded XMP instead of sidecars");
  export_cmd->add_flag("--json", export_args->json, "JSON Lines: one record per photo, then a summary");
  commands.push_back({export_cmd, [&common, export_args] { return run_export(common, *export_args); }});

  auto import_args = std::make_shared<XmpArgs>();
  auto* import_cmd = people_cmd->add_subcommand(
      "import-xmp", "Name faces from XMP face regions (MWG, Microsoft Photo) in sidecars and photos");
  import_cmd->add_option("paths", import_args->paths, "Only photos under these files or folders (default: all)");
  import_cmd->add_flag("--json", import_args->json, "JSON Lines: problems, one record per region, then a summary");
  commands.push_back({import_cmd, [&common, import_args] { return run_import(common, *import_args); }});
}

}  // namespace facesearch::cli
