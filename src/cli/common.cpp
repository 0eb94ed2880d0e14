#include "cli/common.hpp"

#include <cstdio>
#include <iostream>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "app/numbers.hpp"
#include "app/records.hpp"

#include "models/model_pack.hpp"

namespace facesearch::cli {

EngineConfig engine_config(const CommonOptions& o) {
  EngineConfig c;
  c.pack_id = o.pack;
  if (!o.models_dir.empty()) c.models_root = o.models_dir;
  c.find.min_face = o.min_face;
  c.find.small_faces = o.small_faces == "on" ? SmallFaces::On : o.small_faces == "off" ? SmallFaces::Off : SmallFaces::Auto;
  c.max_pixels = static_cast<std::uint64_t>(o.max_megapixels * 1e6);
  c.video_fps = o.video_fps;
  c.max_video_seconds = o.max_video_minutes * 60;
  return c;
}

app::SessionOptions session_options(const CommonOptions& o, bool create_library) {
  app::SessionOptions s;
  s.engine = engine_config(o);
  s.library = o.library;
  s.create_library = create_library;
  s.jobs = o.jobs;
  return s;
}

namespace {
FILE* saved_stderr = nullptr;
}

FILE* error_stream() { return saved_stderr ? saved_stderr : stderr; }

void quiet_libraries() {
  if (saved_stderr) return;
  const int real = ::dup(2);
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (real < 0 || devnull < 0) return;
  std::fflush(stderr);
  saved_stderr = ::fdopen(real, "w");
  if (saved_stderr) ::dup2(devnull, 2);
  ::close(devnull);
}

CLI::Validator number_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](const std::string& text) {
        return app::read_number(text, lo, hi) ? std::string() : app::number_rule("the value", lo, hi);
      },
      "NUMBER");
}

CLI::Validator integer_in(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](const std::string& text) {
        return app::read_integer(text, lo, hi) ? std::string() : app::integer_rule("the value", lo, hi);
      },
      "INT");
}

void add_match_options(CLI::App* cmd, MatchOptions& o) {
  o.threshold_option = cmd->add_option("--threshold", o.threshold, "Minimum cosine similarity (default: the pack's)")
                           ->check(number_in(-1, 1));
  cmd->add_option("--top", o.top, "Show at most N matches (0: all)")->check(integer_in(0, 100000000));
  cmd->add_option("--query-face", o.query_face, "Which face of the query: best, largest or its number (0 = leftmost)")
      ->capture_default_str();
  cmd->add_flag("--json", o.json, "JSON Lines: one match per line");
}

void add_engine_options(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--min-face", o.min_face, "Ignore faces smaller than this many pixels (longer box side)")
      ->capture_default_str()->check(number_in(0, 100000));
  cmd->add_option("--small-faces", o.small_faces, "Extra tiled detection pass for small faces in big photos (auto: photos only, not video frames)")
      ->capture_default_str()->check(CLI::IsMember({"off", "auto", "on"}));
  cmd->add_option("--max-megapixels", o.max_megapixels, "Refuse images larger than this (decompression bombs)")
      ->capture_default_str()->check(number_in(0.001, 100000));
  cmd->add_option("--video-fps", o.video_fps, "Frames of a video analysed per second")
      ->capture_default_str()->check(number_in(0.05, 60));
  cmd->add_option("--max-video-minutes", o.max_video_minutes, "Analyse at most this much of each video (0: all)")
      ->capture_default_str()->check(number_in(0, 1e6));
  cmd->add_option("-j,--jobs", o.jobs, "Worker threads")->capture_default_str()->check(integer_in(1, 256));
}

std::string time_text(std::int64_t ms) {
  const std::int64_t tenths = (ms + 50) / 100;
  return fmt::format("{:02}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10);
}

std::string appearance_text(const FaceTime& t) { return time_text(t.first_ms) + "-" + time_text(t.last_ms); }

void report_skip(Progress& progress, const SkippedFile& s, bool quiet) {
  if (quiet) return;
  progress.finish();
  std::fprintf(stderr, "skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
}

std::string box_text(const Box& b) { return fmt::format("{:.0f},{:.0f},{:.0f},{:.0f}", b.x1, b.y1, b.x2, b.y2); }

void print_matches(const std::vector<Match>& matches, bool json) {
  if (json) {
    for (const auto& m : matches) std::cout << json_text(match_json(m)) << '\n';
  } else if (!matches.empty()) {
    std::cout << fmt::format("{:>10}  {:<24}  {}\n", "similarity", "box (x1,y1,x2,y2)", "path");
    for (const auto& m : matches) {
      const std::string when = m.kind == MediaKind::Video ? appearance_text(m.face.time) + "  " : "";
      std::cout << fmt::format("{:>10.4f}  {:<24}  {}{}\n", m.similarity, box_text(m.face.box), when, m.path.string());
    }
  }
  std::cout.flush();  // results before the summary when both go to one terminal or log
}


std::filesystem::path chosen_models_root(const CommonOptions& o) {
  return o.models_dir.empty() ? models_root() : std::filesystem::path(o.models_dir);
}

}  // namespace facesearch::cli
