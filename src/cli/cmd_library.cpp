// facesearch index, status and forget: what the library holds.
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "app/records.hpp"
#include "cli/common.hpp"

namespace fs = std::filesystem;

namespace facesearch::cli {

namespace {

int run_index(const CommonOptions& common, const std::vector<std::string>& folders, bool reembed) {
  app::Session session(session_options(common, /*create_library=*/true));
  Progress progress("index", common.quiet);
  BatchCallbacks cb;
  cb.on_skip = [&](const SkippedFile& s) { report_skip(progress, s, common.quiet); };
  cb.on_progress = [&](size_t d, size_t t, size_t f) { progress.update(d, t, f); };
  cb.on_wait = [&](const std::string& why) {
    if (!common.quiet) std::fprintf(stderr, "waiting: %s\n", why.c_str());
  };
  const IndexReport r = session.index({folders.begin(), folders.end()}, reembed, cb);
  progress.finish();
  if (!common.quiet)
    std::fprintf(stderr,
                 "%zu files: %zu new, %zu changed, %zu unchanged, %zu touched, %zu moved, %zu copied, %zu removed, "
                 "%zu unusable; %zu faces added from %zu images, %.2f s\n",
                 r.files, r.added, r.changed, r.unchanged, r.touched, r.moved, r.copied, r.removed, r.failed,
                 r.faces_added, r.embedded_images, r.seconds);
  return kOk;
}

int run_status(const CommonOptions& common, bool json) {
  app::Session session(session_options(common));
  const LibraryStatus s = session.status();
  if (json) {
    std::cout << json_text(status_json(s)) << '\n';
  } else {
    // A library of the previous default pack (issue 17) says which pack reads it now.
    std::string pack = s.pack.empty() ? "(none yet)" : s.pack;
    if (const std::optional<ModelPack> now = builtin_pack_formerly(s.pack))
      pack += " (the pack now called '" + now->id + "': use --pack " + now->id + ", or index --reembed)";
    std::cout << fmt::format(
        "library:        {}\nmodel pack:     {}\nimages:         {} ({} without faces, {} unusable files)\n"
        "faces:          {}\nsize on disk:   {:.1f} MiB\nvector search:  {}\n",
        s.dir.string(), pack, s.images, s.zero_face_images, s.failed_images, s.faces,
        s.bytes_on_disk / 1048576.0, s.vector_backend);
  }
  return kOk;
}

int run_forget(const CommonOptions& common, const std::vector<std::string>& paths) {
  app::Session session(session_options(common));
  const size_t n = session.forget({paths.begin(), paths.end()});
  if (!common.quiet) std::fprintf(stderr, "removed %zu image(s) and their faces\n", n);
  return kOk;
}

}  // namespace

void add_index_command(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto folders = std::make_shared<std::vector<std::string>>();
  auto reembed = std::make_shared<bool>(false);
  auto* index_cmd = app.add_subcommand("index", "Add photos to the library (only what changed since the last run)");
  index_cmd->add_option("folders", *folders, "Folders or photos")->required();
  index_cmd->add_flag("--reembed", *reembed, "Forget every face and index again (e.g. after changing --pack)");
  add_engine_options(index_cmd, common);
  commands.push_back({index_cmd, [&common, folders, reembed] { return run_index(common, *folders, *reembed); }});
}

void add_status_commands(CLI::App& app, CommonOptions& common, Commands& commands) {
  auto status_json = std::make_shared<bool>(false);
  auto* status_cmd = app.add_subcommand("status", "What the library holds");
  status_cmd->add_flag("--json", *status_json, "One JSON object");
  commands.push_back({status_cmd, [&common, status_json] { return run_status(common, *status_json); }});

  auto paths = std::make_shared<std::vector<std::string>>();
  auto* forget_cmd = app.add_subcommand("forget", "Remove photos (or folders) and their faces from the library");
  forget_cmd->add_option("paths", *paths, "Photos or folders")->required();
  commands.push_back({forget_cmd, [&common, paths] { return run_forget(common, *paths); }});
}

}  // namespace facesearch::cli
