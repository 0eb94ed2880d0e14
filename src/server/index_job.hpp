// One background indexing job at a time, with progress others can read while it runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/session.hpp"
#include "server/job_state.hpp"

namespace facesearch::server {

class IndexJob : public BackgroundJob {
 public:
  explicit IndexJob(app::Session& session);
  ~IndexJob();  // waits for a running job (the catalog is crash-safe, but a clean finish is better)

  // Starts indexing these folders in a thread (on a library connection of its own, so searches go on).
  // False when a job is already running.
  bool start(std::vector<std::filesystem::path> roots, bool reembed);
  // {"state": "idle|running|done|failed", "roots", "done", "total", "faces", "unusable" (alias "skipped"),
  //  "seconds", "report"?, "error"?, "waiting"?}
  nlohmann::json state() const;

 private:
  BatchCallbacks progress_callbacks();

  app::Session& session_;

  std::vector<std::string> roots_;
  size_t done_ = 0, total_ = 0, faces_ = 0, unusable_ = 0;
  std::string waiting_;  // why the job has not started yet (another process is indexing the library)
};

}  // namespace facesearch::server
