// Helpers shared by the tests: where the labelled photos and the models are.
#pragma once

#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace fstest {

// ../shared/data (or $FACESEARCH_TEST_DATA). Throws with a clear message when absent, so the test fails loudly.
std::filesystem::path shared_data();

// `v` scaled to length 1 (the clustering tests build embeddings by hand).
std::vector<float> unit_length(std::vector<float> v);

// A fresh, empty directory under the build tree for one test's files.
std::filesystem::path scratch_dir(const std::string& name);

// deepface_testset's labels.csv (original_file,identity,staged_path): each one-person photo with its identity
// (group photos hold several people and are left out).
std::vector<std::pair<std::filesystem::path, std::string>> deepface_labels(const std::filesystem::path& dir);

// Runs a shell command line (the caller redirects stderr as it wants); its standard output and exit code.
struct CommandRun {
  int exit_code = -1;
  std::string out;
};
CommandRun run_command(const std::string& command_line);

// JSON Lines (--json output) as one value per non-empty line.
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The PostgreSQL test server ($FACESEARCH_TEST_PG_URL, set by scripts/postgres-test.sh, which `make test` uses).
// Throws with a message saying how to run the test when it is not set.
std::string pg_test_url();
// Runs SQL without parameters on the test server (database administration only; the library binds all data).
void pg_admin(const std::string& url, const std::string& sql);
// A fresh, empty face library for `backend` ("sqlite": a directory under `scratch`; "postgres": a new database on
// the test server) and its --library spec.
std::string new_library(const std::string& backend, const std::filesystem::path& scratch, const std::string& name);

// Starts the built `facesearch` with these arguments (stdout and stderr to /dev/null) and returns its pid, for
// tests that kill it; exited_ok tells a waitpid status of a clean exit.
int spawn_facesearch(const std::vector<std::string>& args);
bool exited_ok(int status);

}  // namespace fstest

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace fstest {

// A JPEG of `stored` (the pixels as stored in the file) with an EXIF APP1 segment saying `orientation` (1..8).
std::vector<std::uint8_t> jpeg_with_exif_orientation(const cv::Mat& stored, int orientation);

void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);

}  // namespace fstest
