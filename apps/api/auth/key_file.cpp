// key_file.cpp - reading key files through one descriptor, so that text and stamp agree.
#include "api/auth/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace drover::api::auth {

namespace {

file_stamp to_stamp(const struct stat& st) {
  file_stamp s;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.size = static_cast<std::int64_t>(st.st_size);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  return s;
}

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error("cannot " + std::string(what) + " '" + path + "': " + std::strerror(err));
}

struct fd_guard {
  int fd;
  ~fd_guard() { ::close(fd); }
};

}  // namespace

file_stamp stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return to_stamp(st);
}

key_file read_key_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO by mistake must not hang the API; regular files ignore it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(path, "open", errno);
  fd_guard guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, "stat", errno);
  if (!S_ISREG(st.st_mode)) throw std::runtime_error("'" + path + "' is not a regular file");
  if (st.st_size > max_key_file_bytes) throw std::runtime_error("'" + path + "' is larger than 1 MiB");

  key_file out;
  out.stamp = to_stamp(st);
  out.text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.text.size()) {
    const ssize_t n = ::read(fd, out.text.data() + got, out.text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "read", errno);
    if (n == 0) break;  // truncated while we read: the next change check sees it
    got += static_cast<std::size_t>(n);
  }
  out.text.resize(got);
  return out;
}

}  // namespace drover::api::auth
