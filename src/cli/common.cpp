#include "cli/common.hpp"

#include <cstdio>

#include "library/library.hpp"
#include "models/model_pack.hpp"

namespace facesearch::cli {

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


std::string library_spec(const CommonOptions& o) {
  return o.library.empty() ? Library::default_dir().string() : o.library;
}

std::filesystem::path chosen_models_root(const CommonOptions& o) {
  return o.models_dir.empty() ? models_root() : std::filesystem::path(o.models_dir);
}

}  // namespace facesearch::cli
