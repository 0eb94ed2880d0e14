// Downloading model files over HTTP(S) with libcurl: resumable (.part file + Range), verified, atomic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace facesearch {

// Any failure: unreachable host, HTTP error, interrupted transfer, wrong sha256. The message says which.
class DownloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DownloadOptions {
  std::string expected_sha256;  // empty: not checked here (the caller pins or refuses)
  long connect_timeout_s = 20;
  // A transfer slower than 1 KiB/s for this long is abandoned (and resumed by the next run).
  long stall_timeout_s = 60;
  bool quiet = true;  // false: progress lines on stderr
};

struct DownloadResult {
  std::uint64_t bytes = 0;          // size of the final file
  std::uint64_t resumed_from = 0;   // bytes already in the .part file that the server agreed to skip
  std::string sha256;
};

// Fetches `url` into `dest`. Bytes arrive in dest + ".part"; an existing .part is continued with an HTTP Range
// request (a server that answers 200 instead of 206 makes it start over). When the transfer completes the sha256
// is checked (a mismatch deletes the .part: its bytes cannot be trusted to resume from), then the .part is
// renamed to `dest` in one step. Throws DownloadError; an interrupted transfer keeps its .part for next time.
DownloadResult download_file(const std::string& url, const std::filesystem::path& dest,
                             const DownloadOptions& options = {});

}  // namespace facesearch
