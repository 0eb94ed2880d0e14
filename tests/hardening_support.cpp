#include "hardening_support.hpp"
#include "test_support.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace hardening {

std::filesystem::path copy_shared_photos(const std::filesystem::path& scratch, const std::filesystem::path& subfolder) {
  const std::filesystem::path photos = scratch / "photos";
  std::filesystem::copy(fstest::shared_data() / subfolder, photos, std::filesystem::copy_options::recursive);
  return photos;
}

namespace {

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& stem, long file_size_limit,
            bool unprivileged = false) {
  const std::string out = stem.string() + ".out", err = stem.string() + ".err";
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  if (file_size_limit > 0) {
    signal(SIGXFSZ, SIG_IGN);  // kept across exec: writes past the limit fail with EFBIG instead
    const rlimit limit{static_cast<rlim_t>(file_size_limit), static_cast<rlim_t>(file_size_limit)};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  if (unprivileged && geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
    _exit(126);
  std::vector<char*> argv;
  static std::string name = "facesearch";
  argv.push_back(name.data());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string path = binary();
  execv(path.c_str(), argv.data());
  _exit(127);
}

}  // namespace

std::string binary() { return std::string(FACESEARCH_BINARY_DIR) + "/facesearch"; }

// Waits for a child of spawn(): status, peak memory, output.
static Child finish(pid_t pid, const fs::path& stem) {
  Child child;
  rusage usage{};
  wait4(pid, &child.status, 0, &usage);
  child.peak_rss_kib = usage.ru_maxrss;
  child.out = file_text(stem.string() + ".out");
  child.err = file_text(stem.string() + ".err");
  return child;
}

Child run_facesearch(const std::vector<std::string>& args, const fs::path& stem, long file_size_limit) {
  return finish(spawn(args, stem, file_size_limit), stem);
}

Child run_facesearch_unprivileged(const std::vector<std::string>& args, const fs::path& stem) {
  return finish(spawn(args, stem, 0, /*unprivileged=*/true), stem);
}

pid_t start_facesearch(const std::vector<std::string>& args, const fs::path& stem) { return spawn(args, stem, 0); }

ServeChild::ServeChild(const std::vector<std::string>& args, const fs::path& stem, long file_size_limit)
    : pid_(spawn(args, stem, file_size_limit)) {
  const std::regex listening(R"(listening on http://[^:]+:(\d+)/)");
  for (int i = 0; i < 600 && port_ == 0; ++i) {
    std::smatch m;
    const std::string out = file_text(stem.string() + ".out");
    if (std::regex_search(out, m, listening)) port_ = std::stoi(m[1]);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int status = 0;
    if (port_ == 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("serve exited at start: " + file_text(stem.string() + ".err"));
    }
  }
  if (port_ == 0) throw std::runtime_error("serve did not start within 30 s");
}

ServeChild::~ServeChild() {
  if (pid_ > 0) stop();
}

httplib::Client ServeChild::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(60);
  return c;
}

int ServeChild::stop() { return end_with(SIGTERM); }

int ServeChild::kill_now() { return end_with(SIGKILL); }

int ServeChild::end_with(int signal) {
  int status = -1;
  if (pid_ <= 0) return status;
  kill(pid_, signal);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

nlohmann::json run_index_job(httplib::Client& client, const fs::path& root,
                             const std::function<bool(const nlohmann::json&)>& stop_polling) {
  auto started = client.Post("/api/index", nlohmann::json{{"roots", {root.string()}}}.dump(), "application/json");
  if (!started || started->status != 202)
    throw std::runtime_error("the index job did not start: " + (started ? started->body : std::string("no answer")));
  nlohmann::json job;
  for (int i = 0; i < 6000; ++i) {
    auto res = client.Get("/api/index");
    if (!res) throw std::runtime_error("the server stopped answering");
    job = nlohmann::json::parse(res->body);
    if (job["state"] != "running" || (stop_polling && stop_polling(job))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return job;
}

}  // namespace hardening
