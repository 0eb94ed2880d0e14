#include "server/index_job.hpp"

#include "app/records.hpp"

namespace facesearch::server {

IndexJob::IndexJob(app::Session& session) : session_(session) {}

IndexJob::~IndexJob() { wait(); }

bool IndexJob::start(std::vector<std::filesystem::path> roots, bool reembed) {
  auto prepare = [&] {
    roots_.clear();
    for (const auto& r : roots) roots_.push_back(r.string());
    done_ = total_ = faces_ = unusable_ = 0;
    waiting_.clear();
  };
  auto work = [this, roots, reembed] {
    return index_report_json(session_.index(roots, reembed, progress_callbacks()));
  };
  return launch(prepare, std::move(work), "indexing failed");
}

// Progress for state(), from the indexing thread.
BatchCallbacks IndexJob::progress_callbacks() {
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
  return callbacks;
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
