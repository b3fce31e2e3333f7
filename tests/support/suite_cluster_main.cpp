// suite_cluster_main.cpp - drover_suite_cluster, the CTest fixture behind the cluster run
// of the engine's integration suite: `start <state file>` starts a Redis Cluster (3
// masters, 3 replicas) whose servers outlive it and writes where it is; `stop <state
// file>` kills those servers. ctest runs start before the first cluster.* test and stop
// after the last, whether they passed or not (FIXTURES_SETUP / FIXTURES_CLEANUP).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "support/redis_cluster.hpp"
#include "support/suite_cluster.hpp"

namespace {

using namespace drover::test;
namespace fs = std::filesystem;

// Whether `pid` is still one of the cluster's servers: a redis-server working in the
// cluster's directory, not a zombie, not another process that took the pid since.
bool is_cluster_server(pid_t pid, const std::string& dir) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string id, comm, state;
  if (!(stat >> id >> comm >> state) || comm != "(redis-server)" || state == "Z") return false;
  std::error_code ec;
  return fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec) == fs::path(dir);
}

// Kills the cluster's servers and removes their directory. They are not this process's
// children: it waits for them to be gone by looking, not by waitpid.
bool kill_servers(const suite_cluster_state& state) {
  for (auto pid : state.pids) {
    if (is_cluster_server(pid, state.dir)) ::kill(pid, SIGKILL);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto pid : state.pids) {
    while (is_cluster_server(pid, state.dir)) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "redis-server %d of the cluster in %s did not die\n", pid, state.dir.c_str());
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::error_code ec;
  fs::remove_all(state.dir, ec);
  return true;
}

// Stops the cluster a state file names, if there is one, and removes the file.
int stop(const std::string& path) {
  if (!fs::exists(path)) return 0;
  if (!kill_servers(read_suite_cluster_state(path))) return 1;
  std::error_code ec;
  fs::remove(path, ec);
  return 0;
}

int start(const std::string& path) {
  // A run that was cut short (ctest killed) may have left one behind.
  if (stop(path) != 0) return 1;
  // The servers inherit stdout and stderr, and ctest waits until every holder of its
  // pipe has closed it: they get /dev/null, this program keeps copies that they do not
  // inherit (close-on-exec) for its own messages.
  const int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  const int err = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (out < 0 || err < 0 || null < 0 || ::dup2(null, STDOUT_FILENO) < 0 || ::dup2(null, STDERR_FILENO) < 0) {
    std::perror("cannot redirect the cluster's output");
    return 1;
  }
  try {
    redis_cluster cluster;
    suite_cluster_state state{cluster.url(), cluster.dir(), {}};
    state.pids = cluster.release();
    try {
      write_suite_cluster_state(path, state);
    } catch (...) {
      kill_servers(state);
      throw;
    }
    ::dprintf(out, "Redis Cluster %s started (%zu servers in %s), state in %s\n", state.url.c_str(), state.pids.size(),
              state.dir.c_str(), path.c_str());
    return 0;
  } catch (const std::exception& e) {
    ::dprintf(err, "cannot start the Redis Cluster: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc == 3 ? argv[1] : "";
  try {
    if (command == "start") return start(argv[2]);
    if (command == "stop") return stop(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drover_suite_cluster %s: %s\n", command.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: drover_suite_cluster start|stop <state file>\n");
  return 2;
}
