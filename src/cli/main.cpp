// facesearch: the command line, a thin shell over the application layer (src/app). This file only registers the
// commands of the cmd_*.cpp files and maps errors to exit codes.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "app/version.hpp"
#include "cli/common.hpp"
#include "models/model_pack.hpp"

using namespace facesearch;
using namespace facesearch::cli;

int main(int argc, char** argv) {
  // libjpeg/libpng warnings about corrupt files would drown the one clear line we print per bad file.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);

  CLI::App app{"facesearch: find every photo of a person, locally and fast"};
  app.set_version_flag("--version", std::string("facesearch ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options (--quiet, --pack, --models) may follow the command too
  CommonOptions common;
  app.add_option("--pack", common.pack, "Model pack")->capture_default_str();
  app.add_option("--models", common.models_dir, "Where model packs are installed (default: $FACESEARCH_MODELS or ~/.cache/facesearch/models)");
  app.add_option("--library", common.library,
                 "Face library directory (default: $FACESEARCH_LIBRARY or ~/.local/share/facesearch/default)");
  app.add_flag("--quiet", common.quiet, "No progress, warnings or summary on stderr");

  Commands commands;
  add_scan_commands(app, common, commands);
  add_index_command(app, common, commands);
  add_search_command(app, common, commands);
  add_status_commands(app, common, commands);
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
  if (common.quiet) quiet_libraries();
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const std::exception& e) {
    std::fprintf(error_stream(), "error: %s\n", e.what());
    return kUsage;
  }
  return kUsage;
}
