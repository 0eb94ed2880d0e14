#include "server/cluster_job.hpp"

#include "app/records.hpp"

namespace facesearch::server {

ClusterJob::ClusterJob(app::Session& session) : session_(session) {}

ClusterJob::~ClusterJob() {
  if (thread_.joinable()) thread_.join();
}

bool ClusterJob::running() const {
  std::lock_guard lock(mutex_);
  return job_.running();
}

bool ClusterJob::start(bool reset) {
  std::lock_guard lock(mutex_);
  if (job_.running()) return false;
  if (thread_.joinable()) thread_.join();  // the previous run has finished: only its thread object is left
  job_.begin();
  reset_ = reset;
  thread_ = std::thread(&ClusterJob::run, this, reset);
  return true;
}

void ClusterJob::run(bool reset) {
  auto [report, error] =
      run_job_work([&] { return cluster_report_json(session_.cluster_people(reset)); }, "clustering failed");
  std::lock_guard lock(mutex_);
  job_.finish(std::move(report), std::move(error));
}

nlohmann::json ClusterJob::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = {{"reset", reset_}};
  job_.describe(j);
  return j;
}

}  // namespace facesearch::server
