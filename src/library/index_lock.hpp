// One indexer per library directory at a time. A second `index` (or a server's index job) is told at once which
// process holds the library, before it analyses anything, instead of failing later with a raw SQLite error and
// losing its work. flock: the kernel releases it when the holder dies, even by kill -9.
#pragma once

#include <filesystem>

namespace facesearch {

class IndexLock {
 public:
  // Throws LibraryBusy when another process (or another job of this one) is indexing `library_dir`.
  explicit IndexLock(const std::filesystem::path& library_dir);
  ~IndexLock();
  IndexLock(const IndexLock&) = delete;
  IndexLock& operator=(const IndexLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace facesearch
