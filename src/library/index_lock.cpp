#include "library/index_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace facesearch {

IndexLock::IndexLock(const std::filesystem::path& library_dir,
                     const std::function<void(const std::string&)>& on_wait) {
  const std::filesystem::path file = library_dir / "index.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    if (errno == EROFS || errno == EACCES) return;  // a read-only library: the catalog refuses writes itself
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    const std::string holder = n > 0 ? "process " + std::string(pid, static_cast<std::size_t>(n)) : "another process";
    if (on_wait) on_wait("the library " + library_dir.string() + " is being indexed by " + holder);
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("cannot lock " + file.string() + ": " + std::strerror(errno));
      }
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

IndexLock::~IndexLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace facesearch
