// One background clustering run at a time (POST /api/people/cluster), with its state for others to read: clustering
// a big library takes seconds to minutes, longer than any request may wait.
#pragma once

#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/session.hpp"
#include "server/job_state.hpp"

namespace facesearch::server {

class ClusterJob {
 public:
  explicit ClusterJob(app::Session& session);
  ~ClusterJob();  // waits for a running job (a run writes its result in one transaction at its end)

  // Starts `people cluster` (with `reset`: `--reset`) in a thread; false when one is already running.
  bool start(bool reset);
  bool running() const;
  // {"state": "idle|running|done|failed", "reset", "seconds"?, "report"? (app::cluster_report_json), "error"?}
  nlohmann::json state() const;

 private:
  void run(bool reset);

  app::Session& session_;

  mutable std::mutex mutex_;
  JobState job_;
  bool reset_ = false;
  std::thread thread_;
};

}  // namespace facesearch::server
