// An LD_PRELOAD library that makes reading fail with EIO, as a dying disk does, for files whose path contains
// $FACESEARCH_FAULT_READ_EIO. Opening and stat still work: only the data cannot be read. Used by test_faults.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>

namespace {

constexpr int kMaxFd = 65536;
std::atomic<bool> failing[kMaxFd];  // fds opened on a matching path

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void mark(int fd, const char* path) {
  const char* marker = getenv("FACESEARCH_FAULT_READ_EIO");
  if (fd >= 0 && fd < kMaxFd && path) failing[fd] = marker && *marker && strstr(path, marker) != nullptr;
}

bool fails(int fd) {
  if (fd < 0 || fd >= kMaxFd || !failing[fd]) return false;
  errno = EIO;
  return true;
}

mode_t mode_arg(int flags, va_list ap) { return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0; }

// The real open call `name` (with the directory descriptor first for the *at forms); the descriptor is marked by
// its path.
template <class... Dir>
int opened(const char* name, const char* path, int flags, mode_t mode, Dir... dir) {
  const int fd = real<int (*)(Dir..., const char*, int, ...)>(name)(dir..., path, flags, mode);
  mark(fd, path);
  return fd;
}

}  // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return opened("open", path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return opened("open64", path, flags, mode);
}

int openat(int dir, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return opened("openat", path, flags, mode, dir);
}

int openat64(int dir, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return opened("openat64", path, flags, mode, dir);
}

// glibc's fopen opens with internal calls that LD_PRELOAD cannot see, so the stream's descriptor is marked here.
FILE* fopen(const char* path, const char* mode) {
  FILE* f = real<FILE* (*)(const char*, const char*)>("fopen")(path, mode);
  if (f) mark(fileno(f), path);
  return f;
}

FILE* fopen64(const char* path, const char* mode) {
  FILE* f = real<FILE* (*)(const char*, const char*)>("fopen64")(path, mode);
  if (f) mark(fileno(f), path);
  return f;
}

// Descriptors are reused: a closed one is unmarked (fclose closes with an internal call, hence its own wrapper).
int close(int fd) {
  if (fd >= 0 && fd < kMaxFd) failing[fd] = false;
  return real<int (*)(int)>("close")(fd);
}

int fclose(FILE* f) {
  if (const int fd = f ? fileno(f) : -1; fd >= 0 && fd < kMaxFd) failing[fd] = false;
  return real<int (*)(FILE*)>("fclose")(f);
}

ssize_t read(int fd, void* buf, size_t n) {
  return fails(fd) ? -1 : real<ssize_t (*)(int, void*, size_t)>("read")(fd, buf, n);
}

ssize_t pread(int fd, void* buf, size_t n, off_t at) {
  return fails(fd) ? -1 : real<ssize_t (*)(int, void*, size_t, off_t)>("pread")(fd, buf, n, at);
}

ssize_t pread64(int fd, void* buf, size_t n, off64_t at) {
  return fails(fd) ? -1 : real<ssize_t (*)(int, void*, size_t, off64_t)>("pread64")(fd, buf, n, at);
}

ssize_t readv(int fd, const struct iovec* iov, int count) {
  return fails(fd) ? -1 : real<ssize_t (*)(int, const struct iovec*, int)>("readv")(fd, iov, count);
}

}  // extern "C"
