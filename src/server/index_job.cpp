#include "server/index_job.hpp"

#include "app/records.hpp"

namespace facesearch::server {

IndexJob::IndexJob(app::Session& session) : session_(session) {}

IndexJob::~IndexJob() {
  if (thread_.joinable()) thread_.join();
}

bool IndexJob::running() const {
  std::lock_guard lock(mutex_);
  return state_ == "running";
}

bool IndexJob::start(std::vector<std::filesystem::path> roots, bool reembed) {
  std::lock_guard lock(mutex_);
  if (state_ == "running") return false;
  if (thread_.joinable()) thread_.join();  // the previous job has finished: only its thread object is left
  state_ = "running";
  roots_.clear();
  for (const auto& r : roots) roots_.push_back(r.string());
  done_ = total_ = faces_ = unusable_ = 0;
  seconds_ = 0;
  report_ = nullptr;
  error_.clear();
  waiting_.clear();
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread(&IndexJob::run, this, std::move(roots), reembed);
  return true;
}

void IndexJob::run(std::vector<std::filesystem::path> roots, bool reembed) {
  nlohmann::json report;
  std::string error;
  try {
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
    report = index_report_json(session_.index(roots, reembed, callbacks));
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {  // nothing may escape the thread: std::terminate would take the whole server down
    error = "indexing failed";
  }
  std::lock_guard lock(mutex_);
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state_ = error.empty() ? "done" : "failed";
  report_ = std::move(report);
  error_ = std::move(error);
}

nlohmann::json IndexJob::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = {{"state", state_}, {"roots", roots_}, {"done", done_},
                      {"total", total_}, {"faces", faces_}, {"unusable", unusable_},
                      {"skipped", unusable_}};
  if (state_ == "running")
    j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  else if (state_ != "idle")
    j["seconds"] = seconds_;
  if (!report_.is_null()) j["report"] = report_;
  if (!error_.empty()) j["error"] = error_;
  if (state_ == "running" && !waiting_.empty()) j["waiting"] = waiting_;
  return j;
}

}  // namespace facesearch::server
