// Internal: buffered, checksummed file I/O for the HNSW index file (writer: payload checksum as it goes, then the
// header written in place; reader: checks the checksum as it reads).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "vector/hnsw_file.hpp"

namespace facesearch::vector_detail {

namespace fs = std::filesystem;

[[noreturn]] inline void throw_errno(const char* what, const fs::path& path) {
  throw std::system_error(errno, std::generic_category(),
                          std::string("save_hnsw_index: ") + what + " " + path.string());
}

// Buffered writer that checksums the payload as it goes.
class FileWriter {
 public:
  explicit FileWriter(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno("cannot create", path);
    buffer_.reserve(kBufferBytes);
  }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  void start_payload() {
    payload_bytes_ = 0;
    hashing_ = true;
  }
  std::uint64_t payload_bytes() const { return payload_bytes_; }
  std::uint64_t payload_checksum() const { return sum_.digest(); }

  void write(const void* data, std::size_t size) {
    if (hashing_) {
      sum_.update(data, size);
      payload_bytes_ += size;
    }
    if (buffer_.size() + size > kBufferBytes) flush();
    if (size >= kBufferBytes) {
      write_fully(data, size);
    } else {
      auto* bytes = static_cast<const unsigned char*>(data);
      buffer_.insert(buffer_.end(), bytes, bytes + size);
    }
  }

  template <typename... T>
  void put(const T&... values) {
    (write(&values, sizeof values), ...);
  }

  void write_at(off_t offset, const void* data, std::size_t size) {
    flush();
    auto* bytes = static_cast<const unsigned char*>(data);
    while (size > 0) {
      const ssize_t n = ::pwrite(fd_, bytes, size, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw_errno("cannot write", path_);
      bytes += n;
      size -= static_cast<std::size_t>(n);
      offset += n;
    }
  }

  void sync_and_close() {
    flush();
    if (::fsync(fd_) != 0) throw_errno("cannot sync", path_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw_errno("cannot close", path_);
  }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

  void flush() {
    write_fully(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

  void write_fully(const void* data, std::size_t size) {
    auto* bytes = static_cast<const unsigned char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd_, bytes, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw_errno("cannot write", path_);
      bytes += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  fs::path path_;
  int fd_ = -1;
  std::vector<unsigned char> buffer_;
  bool hashing_ = false;
  Checksum sum_;
  std::uint64_t payload_bytes_ = 0;
};

// Buffered reader that never reads past the end of the file it measured at open, checksumming the payload.
class FileReader {
 public:
  FileReader() = default;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool open(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    remaining_ = static_cast<std::uint64_t>(st.st_size);
    buffer_.resize(kBufferBytes);
    return true;
  }

  std::uint64_t remaining() const { return remaining_; }
  void start_payload() { hashing_ = true; }
  std::uint64_t payload_checksum() const { return sum_.digest(); }

  // Exactly `size` bytes, or false (past the end, I/O error, file shrank).
  bool read(void* data, std::size_t size) {
    if (size > remaining_) return false;
    auto* out = static_cast<unsigned char*>(data);
    std::size_t left = size;
    while (left > 0) {
      if (begin_ == end_) {
        if (left >= buffer_.size()) {  // big blocks go straight to the destination
          if (!read_fully(out, left)) return false;
          out += left;
          left = 0;
          break;
        }
        const ssize_t n = read_some(buffer_.data(), buffer_.size());
        if (n <= 0) return false;
        begin_ = 0;
        end_ = static_cast<std::size_t>(n);
      }
      const std::size_t take = std::min(left, end_ - begin_);
      std::memcpy(out, buffer_.data() + begin_, take);
      begin_ += take;
      out += take;
      left -= take;
    }
    if (hashing_) sum_.update(data, size);
    remaining_ -= size;
    return true;
  }

  template <typename T>
  bool get(T& value) {
    return read(&value, sizeof value);
  }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

  ssize_t read_some(unsigned char* out, std::size_t size) {
    for (;;) {
      const ssize_t n = ::read(fd_, out, size);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  bool read_fully(unsigned char* out, std::size_t size) {
    while (size > 0) {
      const ssize_t n = read_some(out, size);
      if (n <= 0) return false;
      out += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  int fd_ = -1;
  std::vector<unsigned char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t remaining_ = 0;
  bool hashing_ = false;
  Checksum sum_;
};

inline void sync_directory(const fs::path& dir) {
  // Makes the rename durable; best effort (some file systems refuse fsync on directories).
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace facesearch::vector_detail
