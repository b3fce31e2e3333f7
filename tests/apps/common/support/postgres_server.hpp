// postgres_server.hpp - a private PostgreSQL server for one test program: fresh
// data directory, free loopback port, stopped and removed at the end.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace drover::test {

// Lifecycle:
//   1. the constructor puts a cluster made by initdb (-A trust -U postgres
//      --no-sync) into a new temporary directory (in /dev/shm when there is
//      one, else /tmp) and starts postgres on a free
//      port of 127.0.0.1, with its socket in that directory and fsync off. The
//      first program runs initdb into /tmp/drover-test-pg-template-<uid>-<hash>
//      and keeps it; later ones copy that template (initdb costs seconds);
//   2. stop()/start() take it down (fast shutdown) and up again on the same port
//      and data, to test outages;
//   3. the destructor stops it and removes the directory.
// PostgreSQL refuses to run as root, so under euid 0 both programs run as
// `nobody`, which then owns the directory. If the test program dies, the server
// gets SIGINT (PR_SET_PDEATHSIG) instead of lingering.
// Binaries come from /usr/lib/postgresql/15/bin, else from PATH.
// Thread safety: none; drive it from the test's main thread.
class postgres_server {
 public:
  postgres_server();
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  void stop();   // SIGINT (fast shutdown) and wait
  void start();  // starts again on the same port and directory; waits until it accepts connections
  bool running() const { return pid_ > 0; }

  std::uint16_t port() const { return port_; }
  // postgres://postgres@127.0.0.1:PORT/<dbname>
  std::string url(const std::string& dbname = "postgres") const;

  // Creates a new empty database with a unique name and returns its URL, so that
  // each test gets a clean schema from one server.
  std::string create_database();

  // Runs `sql` on the database at `url` and returns the first column of each row
  // (NULL as ""). Throws std::runtime_error with the server's message on failure.
  static std::vector<std::string> query(const std::string& url, const std::string& sql);

  // The server shared by the tests of this program, started on first use.
  static postgres_server& shared();

 private:
  void wait_ready();
  std::string log_tail() const;

  std::string dir_;  // temp dir: data/, the socket, postgres.log
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  int databases_ = 0;
};

}  // namespace drover::test
