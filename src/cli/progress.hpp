// Progress on stderr: a redrawn line on a terminal, an occasional plain line otherwise, nothing with --quiet.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace facesearch {

class Progress {
 public:
  Progress(std::string label, bool quiet);
  void update(size_t done, size_t total, size_t faces);
  void finish();

 private:
  std::string label_;
  bool quiet_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace facesearch
