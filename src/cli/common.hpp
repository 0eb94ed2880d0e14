// What every facesearch command shares: global options, exit codes, engine configuration, and the command registry
// each cmd_*.cpp adds itself to (main.cpp stays a list of registrations).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/progress.hpp"
#include "engine/batch.hpp"

namespace facesearch::cli {

enum Exit { kOk = 0, kNoQueryFace = 1, kUsage = 2 };

// Options shared by every command that runs the engine.
struct CommonOptions {
  std::string pack = "default";
  std::string models_dir;
  bool quiet = false;
  std::string library;
  float min_face = 20;
  std::string small_faces = "auto";
  double max_megapixels = 100;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

// A subcommand and what to run when it was chosen (its arguments live in the closure).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using Commands = std::vector<Command>;

EngineConfig engine_config(const CommonOptions& o);
void add_engine_options(CLI::App* cmd, CommonOptions& o);
void report_skip(Progress& progress, const SkippedFile& s, bool quiet);
// --library, else the default library location.
std::string library_spec(const CommonOptions& o);
std::filesystem::path chosen_models_root(const CommonOptions& o);

// Registrations, one per cmd_*.cpp file.
void add_models_commands(CLI::App& app, CommonOptions& common, Commands& commands);
void add_eval_commands(CLI::App& app, CommonOptions& common, Commands& commands);
void add_people_commands(CLI::App& app, CommonOptions& common, Commands& commands);
// search --person (cmd_people.cpp): the person's faces alone, or query matches narrowed to that person.
int run_search_person(const CommonOptions& common, const std::string& person, size_t top, bool json);
void keep_person_matches(const CommonOptions& common, const std::string& person, std::vector<Match>& matches);
void add_serve_command(CLI::App& app, CommonOptions& common, Commands& commands);

}  // namespace facesearch::cli
