// One indexer per library directory at a time. A second `index` (or a server's index job) learns which process
// holds the library and waits for it before it analyses anything, instead of meeting a raw SQLite "database is
// locked" halfway and losing its work. flock: the kernel releases it when the holder dies, even by kill -9.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace facesearch {

class IndexLock {
 public:
  // When another process (or another job of this one) is indexing `library_dir`, tells `on_wait` ("the library ...
  // is being indexed by process N") and waits until it has finished.
  IndexLock(const std::filesystem::path& library_dir, const std::function<void(const std::string&)>& on_wait);
  ~IndexLock();
  IndexLock(const IndexLock&) = delete;
  IndexLock& operator=(const IndexLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace facesearch
