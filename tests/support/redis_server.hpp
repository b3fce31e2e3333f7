// redis_server.hpp - a private redis-server for one test program: free port, temp dir, stopped at the end.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <drover/redis_options.hpp>

namespace drover::test {

// A loopback TCP port that was free a moment ago.
std::uint16_t free_loopback_port();
// A new empty directory under /tmp named for `what` ("redis", "certs").
std::string make_temp_dir(const std::string& what);
// Starts `args` (args[0] looked up in PATH) and returns its pid; throws when it cannot.
pid_t spawn_process(std::vector<std::string> args);
// Runs `command` in a shell; its output (stderr too) without the final line breaks.
std::string run_shell(const std::string& command);
// Whether the INFO server text `info` is that of process `pid` (its process_id line,
// whole: pid 123 is not 1234): the server answering on a port is the one started there,
// not another test program's that took the port first.
bool info_is_of_process(const std::string& info, pid_t pid);

class redis_server {
 public:
  // Starts redis-server (Debian's, from PATH) on a free loopback port in a new
  // temporary directory; with `appendonly`, AOF is on (fsync every write). `extra_args`
  // go last on its command line ("--maxmemory-policy", "allkeys-lru").
  explicit redis_server(bool appendonly = false, std::vector<std::string> extra_args = {});
  ~redis_server();  // stops the server and removes its directory
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  void stop();    // SIGTERM and wait: a clean shutdown (AOF flushed)
  void kill();    // SIGKILL and wait: a crash
  void start();   // starts again on the same port and directory
  void freeze();  // SIGSTOP: a server that accepts bytes but never answers
  void thaw();    // SIGCONT
  bool running() const { return pid_ > 0; }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  redis_options options() const;

  // One command over a fresh connection (for setup and checks); the reply as text.
  std::string cli(const std::string& args) const;

  // The server shared by the tests of this program, started on first use.
  static redis_server& shared();

 private:
  void wait_ready();
  std::uint16_t port_ = 0;
  std::string dir_;
  bool appendonly_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

}  // namespace drover::test
