#include "server/cluster_job.hpp"

#include "app/records.hpp"

namespace facesearch::server {

ClusterJob::ClusterJob(app::Session& session) : session_(session) {}

ClusterJob::~ClusterJob() { wait(); }

bool ClusterJob::start(bool reset) {
  return launch([&] { reset_ = reset; },
                [this, reset] { return cluster_report_json(session_.cluster_people(reset)); }, "clustering failed");
}

nlohmann::json ClusterJob::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = {{"reset", reset_}};
  job_.describe(j);
  return j;
}

}  // namespace facesearch::server
