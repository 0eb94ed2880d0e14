#include "server/cluster_job.hpp"

#include "app/records.hpp"

namespace facesearch::server {

ClusterJob::ClusterJob(app::Session& session) : session_(session) {}

ClusterJob::~ClusterJob() {
  if (thread_.joinable()) thread_.join();
}

bool ClusterJob::running() const {
  std::lock_guard lock(mutex_);
  return state_ == "running";
}

bool ClusterJob::start(bool reset) {
  std::lock_guard lock(mutex_);
  if (state_ == "running") return false;
  if (thread_.joinable()) thread_.join();  // the previous run has finished: only its thread object is left
  state_ = "running";
  reset_ = reset;
  seconds_ = 0;
  report_ = nullptr;
  error_.clear();
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread(&ClusterJob::run, this, reset);
  return true;
}

void ClusterJob::run(bool reset) {
  nlohmann::json report;
  std::string error;
  try {
    report = cluster_report_json(session_.cluster_people(reset));
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {  // nothing may escape the thread: std::terminate would take the whole server down
    error = "clustering failed";
  }
  std::lock_guard lock(mutex_);
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state_ = error.empty() ? "done" : "failed";
  report_ = std::move(report);
  error_ = std::move(error);
}

nlohmann::json ClusterJob::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = {{"state", state_}, {"reset", reset_}};
  if (state_ == "running")
    j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  else if (state_ != "idle")
    j["seconds"] = seconds_;
  if (!report_.is_null()) j["report"] = report_;
  if (!error_.empty()) j["error"] = error_;
  return j;
}

}  // namespace facesearch::server
