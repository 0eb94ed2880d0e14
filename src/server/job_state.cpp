#include "server/job_state.hpp"

#include "server/http.hpp"

namespace facesearch::server {

void JobState::begin() {
  state_ = "running";
  started_ = std::chrono::steady_clock::now();
  seconds_ = 0;
  report_ = nullptr;
  error_.clear();
}

void JobState::finish(nlohmann::json report, std::string error) {
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state_ = error.empty() ? "done" : "failed";
  report_ = std::move(report);
  error_ = std::move(error);
}

void JobState::describe(nlohmann::json& j) const {
  j["state"] = state_;
  if (state_ == "running")
    j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  else if (state_ != "idle")
    j["seconds"] = seconds_;
  if (!report_.is_null()) j["report"] = report_;
  if (!error_.empty()) j["error"] = error_;
}

std::pair<nlohmann::json, std::string> run_job_work(const std::function<nlohmann::json()>& work, const char* failure) {
  try {
    return {work(), std::string()};
  } catch (const std::exception& e) {
    return {nlohmann::json(), e.what()};
  } catch (...) {
    return {nlohmann::json(), failure};
  }
}

bool BackgroundJob::running() const {
  std::lock_guard lock(mutex_);
  return job_.running();
}

void BackgroundJob::wait() {
  if (thread_.joinable()) thread_.join();
}

bool BackgroundJob::launch(const std::function<void()>& prepare, std::function<nlohmann::json()> work,
                           const char* failure) {
  std::lock_guard lock(mutex_);
  if (job_.running()) return false;
  wait();  // the previous run has finished: only its thread object is left
  job_.begin();
  prepare();
  thread_ = std::thread([this, work = std::move(work), failure] {
    auto [report, error] = run_job_work(work, failure);
    std::lock_guard done(mutex_);
    job_.finish(std::move(report), std::move(error));
  });
  return true;
}

void send_job_start(httplib::Response& res, bool started, nlohmann::json state, const std::string& busy) {
  if (!started) {
    state["error"] = busy;
    state["status"] = 409;
  }
  send_json(res, started ? 202 : 409, state);
}

}  // namespace facesearch::server
