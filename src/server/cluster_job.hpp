// One background clustering run at a time (POST /api/people/cluster), with its state for others to read: clustering
// a big library takes seconds to minutes, longer than any request may wait.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "app/session.hpp"
#include "server/job_state.hpp"

namespace facesearch::server {

class ClusterJob : public BackgroundJob {
 public:
  explicit ClusterJob(app::Session& session);
  ~ClusterJob();  // waits for a running job (a run writes its result in one transaction at its end)

  // Starts `people cluster` (with `reset`: `--reset`) in a thread; false when one is already running.
  bool start(bool reset);
  // {"state": "idle|running|done|failed", "reset", "seconds"?, "report"? (app::cluster_report_json), "error"?}
  nlohmann::json state() const;

 private:
  app::Session& session_;

  bool reset_ = false;
};

}  // namespace facesearch::server
