// What every facesearch command shares: global options, exit codes, engine configuration, and the command registry
// each cmd_*.cpp adds itself to (main.cpp stays a list of registrations).
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/session.hpp"
#include "cli/progress.hpp"
#include "engine/batch.hpp"

namespace facesearch::cli {

enum Exit { kOk = 0, kNoQueryFace = 1, kUsage = 2 };

// Options shared by every command that runs the engine.
struct CommonOptions {
  std::string pack = kDefaultPack;
  std::string models_dir;
  bool quiet = false;
  std::string library;
  float min_face = 20;
  std::string small_faces = "auto";
  double max_megapixels = 100;
  double video_fps = 2;            // frames of a video analysed per second
  double max_video_minutes = 0;    // 0: the whole video
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

// A subcommand and what to run when it was chosen (its arguments live in the closure).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using Commands = std::vector<Command>;

// What scan and search share: which face of the query, which matches, how to print them.
struct MatchOptions {
  float threshold = 0;
  CLI::Option* threshold_option = nullptr;
  size_t top = 0;
  std::string query_face = "best";
  bool json = false;
  // The threshold when --threshold was given (else the session uses the pack's).
  std::optional<float> given_threshold() const {
    return threshold_option && threshold_option->count() ? std::optional(threshold) : std::nullopt;
  }
};
// Option checks over app/numbers.hpp: the whole text a finite number (an integer) within [lo, hi].
CLI::Validator number_in(double lo, double hi);
CLI::Validator integer_in(long long lo, long long hi);
void add_match_options(CLI::App* cmd, MatchOptions& o);

// Where "error: ..." lines go: stderr, or with --quiet the real stderr kept aside by quiet_libraries().
FILE* error_stream();
// --quiet: libjpeg and libtiff print warnings about corrupt files with fprintf(stderr), past OpenCV's log level.
// The process's stderr (fd 2) is pointed at /dev/null; the program's own errors still reach the real one.
void quiet_libraries();
EngineConfig engine_config(const CommonOptions& o);
// The application session of a command: every command that touches models or the library opens one.
app::SessionOptions session_options(const CommonOptions& o, bool create_library = false);
void add_engine_options(CLI::App* cmd, CommonOptions& o);
void report_skip(Progress& progress, const SkippedFile& s, bool quiet);
// Matches on stdout: JSON Lines, or a table (similarity, box, path; a video's appearance as mm:ss.s-mm:ss.s before
// its path) with a header when there is any.
void print_matches(const std::vector<Match>& matches, bool json);
// mm:ss.s of a position in a video, and an appearance as mm:ss.s-mm:ss.s.
std::string time_text(std::int64_t ms);
std::string appearance_text(const FaceTime& t);
std::string box_text(const Box& b);
std::filesystem::path chosen_models_root(const CommonOptions& o);

// Registrations, one per cmd_*.cpp file.
void add_scan_commands(CLI::App& app, CommonOptions& common, Commands& commands);     // scan, faces
void add_index_command(CLI::App& app, CommonOptions& common, Commands& commands);    // cmd_library.cpp
void add_search_command(CLI::App& app, CommonOptions& common, Commands& commands);
void add_status_commands(CLI::App& app, CommonOptions& common, Commands& commands);  // status, forget
void add_models_commands(CLI::App& app, CommonOptions& common, Commands& commands);
void add_eval_commands(CLI::App& app, CommonOptions& common, Commands& commands);
void add_people_commands(CLI::App& app, CommonOptions& common, Commands& commands);
// cmd_people_review.cpp: `people suggest`, and `people list --unsure`'s listing.
void add_people_review_commands(CLI::App* people_cmd, CommonOptions& common, Commands& commands);
int run_list_unsure(const CommonOptions& common, bool json);
void add_people_xmp_commands(CLI::App* people_cmd, CommonOptions& common, Commands& commands);  // export/import-xmp
void add_serve_command(CLI::App& app, CommonOptions& common, Commands& commands);

}  // namespace facesearch::cli
