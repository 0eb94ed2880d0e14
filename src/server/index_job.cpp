#include "server/index_job.hpp"

#include "app/records.hpp"

namespace facesearch::server {

IndexJob::IndexJob(app::Session& session) : session_(session) {}

IndexJob::~IndexJob() {
  if (thread_.joinable()) thread_.join();
}

bool IndexJob::running() const {
  std::lock_guard lock(mutex_);
  return job_.running();
}

bool IndexJob::start(std::vector<std::filesystem::path> roots, bool reembed) {
  std::lock_guard lock(mutex_);
  if (job_.running()) return false;
  if (thread_.joinable()) thread_.join();  // the previous job has finished: only its thread object is left
  job_.begin();
  roots_.clear();
  for (const auto& r : roots) roots_.push_back(r.string());
  done_ = total_ = faces_ = unusable_ = 0;
  waiting_.clear();
  thread_ = std::thread(&IndexJob::run, this, std::move(roots), reembed);
  return true;
}

void IndexJob::run(std::vector<std::filesystem::path> roots, bool reembed) {
  BatchCallbacks callbacks;
  callbacks.on_progress = [this](size_t done, size_t total, size_t faces) {
    std::lock_guard lock(mutex_);
    waiting_.clear();
    done_ = done;
    total_ = total;
    faces_ = faces;
  };
  callbacks.on_wait = [this](const std::string& why) {
    std::lock_guard lock(mutex_);
    waiting_ = why;
  };
  callbacks.on_skip = [this](const SkippedFile&) {
    std::lock_guard lock(mutex_);
    ++unusable_;
  };
  auto [report, error] =
      run_job_work([&] { return index_report_json(session_.index(roots, reembed, callbacks)); }, "indexing failed");
  std::lock_guard lock(mutex_);
  job_.finish(std::move(report), std::move(error));
}

nlohmann::json IndexJob::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = {{"roots", roots_}, {"done", done_}, {"total", total_},
                      {"faces", faces_}, {"unusable", unusable_}, {"skipped", unusable_}};
  job_.describe(j);
  if (job_.running() && !waiting_.empty()) j["waiting"] = waiting_;
  return j;
}

}  // namespace facesearch::server
