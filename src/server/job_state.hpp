// What the server's background jobs (indexing, clustering) share: the state a client reads (idle, running, done,
// failed), the timing and the outcome. Not thread-safe on its own: each job guards it with its mutex.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace facesearch::server {

class JobState {
 public:
  bool running() const { return state_ == "running"; }
  // A new run starts: running, the clock started, the previous outcome gone.
  void begin();
  // The run ended with its report, or failed with `error` (non-empty).
  void finish(nlohmann::json report, std::string error);
  // Adds "state", "seconds" (so far, while running), "report" and "error" (when there are) to `j`.
  void describe(nlohmann::json& j) const;

 private:
  std::string state_ = "idle";
  std::chrono::steady_clock::time_point started_;
  double seconds_ = 0;
  nlohmann::json report_;
  std::string error_;
};

// One run at a time on a thread of its own, with its JobState; a job (IndexJob, ClusterJob) says what runs and
// what else it reports, and guards its own fields with mutex_.
class BackgroundJob {
 public:
  bool running() const;

 protected:
  // Each job's destructor calls it first: the run may still use the job's own fields.
  void wait();
  // Under the lock: false when a run is going; otherwise `prepare` (the job resets its fields), the state begun and
  // `work` started on the thread; its report or error ends the state.
  bool launch(const std::function<void()>& prepare, std::function<nlohmann::json()> work, const char* failure);

  mutable std::mutex mutex_;
  JobState job_;

 private:
  std::thread thread_;
};

// Runs a job's work on its thread, where nothing may escape (std::terminate would take the whole server down):
// the report, or an empty report and the error (`failure` for what is not a std::exception).
std::pair<nlohmann::json, std::string> run_job_work(const std::function<nlohmann::json()>& work, const char* failure);

// The answer to a request that starts a job: 202 with its state, or 409 with the running job's state and `busy`.
void send_job_start(httplib::Response& res, bool started, nlohmann::json state, const std::string& busy);

}  // namespace facesearch::server
