// Many files through the engine on several threads: the shared core of `scan`, `faces` and indexing. Each file goes
// through its frame source (media/frame_source.hpp): file -> frames -> faces, each face keyed on (file, time).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace facesearch {

// Every regular file under the roots (a root may be a file), sorted; hidden files and folders, and XMP sidecars
// (*.xmp) found in folders, are left out.
// Throws std::runtime_error when a root does not exist.
std::vector<std::filesystem::path> collect_files(const std::vector<std::filesystem::path>& roots, bool recursive);

struct SkippedFile {
  std::filesystem::path path;
  std::string reason;
  bool read_failed = false;  // the storage failed (ReadError), not the file: an index retries it next time
};

struct BatchCallbacks {
  // Called under a lock, in completion order (not input order): once per file, with the faces of all its frames.
  std::function<void(ImageFaces&&)> on_image;
  std::function<void(const SkippedFile&)> on_skip;
  std::function<void(size_t done, size_t total, size_t faces)> on_progress;
  // The run waits before it starts, e.g. for another indexer of the same library: why, in words.
  std::function<void(const std::string& why)> on_wait;
};

struct BatchStats {
  size_t images = 0;   // files decoded and searched
  size_t frames = 0;   // frames analysed in them (one per photo)
  size_t frames_decoded = 0;  // frames decoded, including those video sampling skipped
  size_t faces = 0;
  size_t skipped = 0;  // unreadable, corrupt or no known media
  double seconds = 0;
};

// Runs `jobs` workers, each with its own Engine. A bad file (or one whose frames stop decoding) is reported through
// on_skip and never stops the run.
BatchStats analyze_files(const EngineConfig& config, const std::vector<std::filesystem::path>& files, int jobs,
                         bool embed, const BatchCallbacks& callbacks);

// A match of `scan`: one face of one photo and its similarity to the query.
struct Match {
  std::filesystem::path path;
  int width = 0, height = 0;
  Face face;  // without embedding
  float similarity = 0;
  // Set by library searches (0 for `scan`): stable ids the server and people commands refer to.
  std::int64_t face_id = 0, image_id = 0;
  MediaKind kind = MediaKind::Photo;  // a video's faces are its appearances (face.time; width x height: the frame)
};

struct ScanOptions {
  float threshold = -1.f;  // every face by default: the application layer passes the pack's (app::resolve_threshold)
  size_t top = 0;  // 0: all matches over the threshold
  int jobs = 2;
};

struct ScanResult {
  std::vector<Match> matches;  // best first
  std::vector<SkippedFile> skipped;
  BatchStats stats;
};

// On-the-fly search: every face in `files` compared with `query`.
ScanResult scan_files(const EngineConfig& config, const Embedding& query, const std::vector<std::filesystem::path>& files,
                      const ScanOptions& options, const BatchCallbacks& callbacks = {});

}  // namespace facesearch
