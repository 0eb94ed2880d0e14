// What the hardening tests share: the built `facesearch` run in a child process under hostile limits.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <functional>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace hardening {

std::string binary();

// A folder of ../shared/data (`subfolder`) copied to scratch/photos, so tests may change it.
std::filesystem::path copy_shared_photos(const std::filesystem::path& scratch, const std::filesystem::path& subfolder);

struct Child {
  int status = -1;  // as waitpid gives it
  std::string out, err;
  long peak_rss_kib = 0;  // the child's peak resident memory, from wait4
};

// Runs facesearch with `args`, its stdout and stderr kept in `stem`.out/.err. A `file_size_limit` (bytes) makes
// every write past it fail with EFBIG, as a full disk would (SIGXFSZ ignored, so the write returns the error).
Child run_facesearch(const std::vector<std::string>& args, const std::filesystem::path& stem,
                     long file_size_limit = 0);
// The same as a user who may not write the library: when the test runs as root (who may write anything), the child
// runs as nobody (uid 65534); otherwise as the test's own user.
Child run_facesearch_unprivileged(const std::vector<std::string>& args, const std::filesystem::path& stem);
// Starts facesearch without waiting; its pid.
pid_t start_facesearch(const std::vector<std::string>& args, const std::filesystem::path& stem);

// `facesearch ... serve --port 0` in a child; the port is read from its first line.
class ServeChild {
 public:
  ServeChild(const std::vector<std::string>& args, const std::filesystem::path& stem, long file_size_limit = 0);
  ~ServeChild();
  ServeChild(const ServeChild&) = delete;
  ServeChild& operator=(const ServeChild&) = delete;
  int port() const { return port_; }
  httplib::Client client() const;
  // SIGTERM, then the waitpid status.
  int stop();
  // SIGKILL (a crash, a power cut for the process), then the waitpid status.
  int kill_now();

 private:
  int end_with(int signal);

  pid_t pid_ = -1;
  int port_ = 0;
};

// Starts a background index of `root` (POST /api/index) and polls its state every 10 ms until it is no longer
// running or `stop_polling(state)` holds (60 s at most); that state. Throws when the server refuses the job or
// stops answering.
nlohmann::json run_index_job(httplib::Client& client, const std::filesystem::path& root,
                             const std::function<bool(const nlohmann::json&)>& stop_polling = {});

}  // namespace hardening
