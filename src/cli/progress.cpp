#include "cli/progress.hpp"

#include <unistd.h>

namespace facesearch {

Progress::Progress(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(size_t done, size_t total, size_t faces) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  // A terminal gets ~10 redraws a second; a log gets a line every 10 s, so long runs show life without noise.
  auto every = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
  if (now - last_ < every && done != total) return;
  if (!tty_ && done == total) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  double eta = rate > 0 ? (total - done) / rate : 0;
  int width = 24, fill = total ? static_cast<int>(width * done / total) : width;
  std::string bar(static_cast<size_t>(fill), '#');
  bar.resize(static_cast<size_t>(width), '.');
  if (tty_) {
    std::fprintf(stderr, "\r%s [%s] %zu/%zu files, %zu faces, %.1f files/s, ETA %.0f s  ", label_.c_str(),
                 bar.c_str(), done, total, faces, rate, eta);
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s: %zu/%zu files, %zu faces, %.1f files/s, ETA %.0f s\n", label_.c_str(), done, total,
                 faces, rate, eta);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace facesearch
