// extraction_process.cpp - spawning drover-extract, feeding it the upload through a
// memory file, reading its records while it writes, and turning how it ended into a
// result or a reason. The Workers process has threads, so the child is started with
// posix_spawn (no code of ours runs between fork and exec) and every descriptor it must
// not inherit is close-on-exec.
#include "workers/extraction_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <drover_app/env.hpp>

#include "documents/extraction_records.hpp"

extern char** environ;

namespace drover::workers {

std::vector<std::string> extraction_environment(char** env) {
  // The loader's and the allocator's settings too: a deployment that finds its poppler in
  // LD_LIBRARY_PATH, or preloads an allocator, runs its helper the same way.
  static constexpr std::string_view exact[] = {
      "PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "LD_PRELOAD", "GLIBC_TUNABLES"};
  static constexpr std::string_view prefixes[] = {"LC_",   "MALLOC_", "ASAN_", "UBSAN_",
                                                  "LSAN_", "TSAN_",   "MSAN_", "DROVER_EXTRACT_"};
  std::vector<std::string> kept;
  for (char** e = env; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    const bool keep =
        std::find(std::begin(exact), std::end(exact), name) != std::end(exact) ||
        std::any_of(std::begin(prefixes), std::end(prefixes), [&](std::string_view p) { return name.starts_with(p); });
    if (keep) kept.emplace_back(entry);
  }
  return kept;
}

namespace {

using clock = std::chrono::steady_clock;
constexpr auto poll_interval = std::chrono::milliseconds(100);

// The helper's exit statuses (extract_helper.cpp).
constexpr int exit_unreadable = 2;
constexpr int exit_out_of_memory = 3;

[[noreturn]] void fail_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

struct unique_fd {
  int fd = -1;
  unique_fd() = default;
  explicit unique_fd(int f) : fd(f) {}
  unique_fd(unique_fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  unique_fd& operator=(unique_fd&&) = delete;
  ~unique_fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// The running child; killed and reaped when it is left running (an exception, a stop).
struct child_process {
  pid_t pid = -1;
  bool killed = false;
  child_process() = default;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    if (pid > 0) {
      kill_now();
      wait(0);
    }
  }
  void kill_now() {
    if (pid > 0 && !killed) ::kill(pid, SIGKILL);
    killed = true;
  }
  // The wait status, or nullopt while it runs (with WNOHANG).
  std::optional<int> wait(int flags, rusage* usage = nullptr) {
    int status = 0;
    rusage ignored{};
    for (;;) {
      pid_t r = ::wait4(pid, &status, flags, usage ? usage : &ignored);
      if (r == pid) {
        pid = -1;
        return status;
      }
      if (r == 0) return std::nullopt;
      if (errno != EINTR) fail_errno("waiting for drover-extract");
    }
  }
};

// The upload as the child's stdin: a memory file needs no writer thread and cannot
// deadlock against the child's output.
unique_fd input_file(const std::string& bytes) {
  unique_fd f(::memfd_create("drover-extract-input", MFD_CLOEXEC));
  if (f.fd < 0) fail_errno("creating the extraction input");
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("writing the extraction input");
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(f.fd, 0, SEEK_SET) != 0) fail_errno("rewinding the extraction input");
  return f;
}

void spawn(child_process& child, const std::string& helper, const std::vector<std::string>& args, int stdin_fd,
           int stdout_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors other libraries opened without close-on-exec stay with us.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGXCPU, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // Its own process group: a Ctrl-C meant for the Workers reaches the parent, which
  // stops the extraction as a shutdown, rather than the child, whose death would read
  // as a crash of the document.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(helper.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto env_entries = extraction_environment(environ);
  std::vector<char*> envp;
  for (auto& e : env_entries) envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc = ::posix_spawn(&child.pid, helper.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    child.pid = -1;
    // The path is the deployment's, not for the user who reads the document's error.
    spdlog::error("starting the extraction helper '{}': {} (EXTRACT_HELPER)", helper, std::strerror(rc));
    throw std::runtime_error("the extraction helper could not be started");
  }
}

double cpu_seconds_of(const rusage& u) {
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace

extraction_limits extraction_limits::from_env() {
  extraction_limits l;
  if (const char* v = app::env("EXTRACT_MEMORY_MB"))
    l.memory_mib = app::env_number<long>("EXTRACT_MEMORY_MB", v, 16, 1L << 20);
  if (const char* v = app::env("EXTRACT_CPU_SECONDS"))
    l.cpu_seconds = app::env_number<long>("EXTRACT_CPU_SECONDS", v, 1);
  if (const char* v = app::env("EXTRACT_TIMEOUT_SECONDS")) {
    l.timeout =
        std::chrono::seconds(app::env_number<long>("EXTRACT_TIMEOUT_SECONDS", v, 1, app::max_setting_ms / 1000));
  }
  return l;
}

extraction_process::extraction_process(std::string helper, extraction_limits limits)
    : helper_(std::move(helper)), limits_(limits) {}

std::string extraction_process::default_helper() {
  if (const char* v = app::env("EXTRACT_HELPER")) return v;
  std::string self(4096, '\0');
  auto n = ::readlink("/proc/self/exe", self.data(), self.size());
  if (n <= 0) return "drover-extract";  // then found on PATH, or the spawn says it is missing
  self.resize(static_cast<std::size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "drover-extract";
}

void extraction_process::check_helper(const std::string& helper) {
  // access() alone says yes to root for a directory or a file without execute bits.
  struct stat st {};
  const char* why = nullptr;
  if (::stat(helper.c_str(), &st) != 0) {
    why = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a file";
  } else if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0 || ::access(helper.c_str(), X_OK) != 0) {
    why = "not executable";
  }
  if (why) {
    throw std::invalid_argument(
        fmt::format("the document extraction helper '{}' cannot be run ({}): install drover-extract beside the "
                    "drover binary, or set EXTRACT_HELPER to its path",
                    helper, why));
  }
}

documents::extracted_text extraction_process::extract(const std::string& media_type, const std::string& bytes,
                                                      const documents::page_progress& progress,
                                                      const std::function<bool()>& stop, std::size_t max_output) const {
  auto input = input_file(bytes);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("creating the extraction pipe");
  unique_fd out_read(pipe_fds[0]), out_write(pipe_fds[1]);

  child_process child;
  spawn(child, helper_, {media_type, std::to_string(limits_.memory_mib), std::to_string(limits_.cpu_seconds)}, input.fd,
        out_write.fd);
  out_write.reset();  // the child's copy is the only writer: its exit ends the stream
  input.reset();

  const auto deadline = clock::now() + limits_.timeout;
  auto timed_out = [&] {
    child.kill_now();
    child.wait(0);
    return extraction_failed(fmt::format("extraction timed out after {} s", limits_.timeout.count()));
  };
  auto check_stop = [&] {
    if (stop && stop()) throw extraction_stopped{};  // the child is killed on the way out
  };

  // Read while the child writes: it blocks on a full pipe, and a 4,000-page PDF's text
  // is far more than a pipe holds.
  documents::record_reader reader(progress);
  std::vector<char> buf(1 << 16);
  std::size_t received = 0;
  for (;;) {
    check_stop();
    auto now = clock::now();
    if (now >= deadline) throw timed_out();
    auto wait = std::min<clock::duration>(poll_interval, deadline - now);
    pollfd p{out_read.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
    if (ready < 0 && errno != EINTR) fail_errno("waiting for the extraction helper");
    if (ready <= 0) continue;
    auto n = ::read(out_read.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("reading from the extraction helper");
    if (n == 0) break;
    received += static_cast<std::size_t>(n);
    if (received > max_output) {
      child.kill_now();
      child.wait(0);
      throw extraction_too_long{max_output};
    }
    reader.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }

  // The stream ended; the child is exiting (or, if it closed its stdout and went on,
  // the deadline still holds).
  rusage usage{};
  std::optional<int> status;
  while (!(status = child.wait(WNOHANG, &usage))) {
    check_stop();
    if (clock::now() >= deadline) throw timed_out();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  if (WIFSIGNALED(*status)) {
    const int sig = WTERMSIG(*status);
    // SIGXCPU at the soft limit; SIGKILL at the hard one a second later.
    if (sig == SIGXCPU || (sig == SIGKILL && cpu_seconds_of(usage) >= static_cast<double>(limits_.cpu_seconds))) {
      throw extraction_failed(fmt::format("extraction exceeded {} s of CPU time", limits_.cpu_seconds));
    }
    throw extraction_failed(fmt::format("extraction crashed: signal {}", sig));
  }
  const int code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  if (code == 0) {
    if (auto text = reader.result()) return std::move(*text);
    throw extraction_failed("extraction ended without a result");
  }
  if (code == exit_unreadable && reader.unreadable()) throw documents::unreadable_document(*reader.unreadable());
  if (code == exit_out_of_memory)
    throw extraction_failed(
        fmt::format("extraction exceeded {} MiB (EXTRACT_MEMORY_MB; an HTML page of many small elements takes up to "
                    "40 times its size)",
                    limits_.memory_mib));
  throw extraction_failed(fmt::format("extraction failed: exit status {}", code));
}

}  // namespace drover::workers
