// postgres_server.cpp - initdb, start, stop and clean up a private PostgreSQL for the tests.
#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace drover::test {

namespace {

namespace fs = std::filesystem;

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("postgres_server: cannot bind a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string find_binary(const std::string& name) {
  fs::path debian = fs::path("/usr/lib/postgresql/15/bin") / name;
  if (fs::exists(debian)) return debian.string();
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      fs::path candidate = fs::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw std::runtime_error("postgres_server: " + name + " not found in /usr/lib/postgresql/15/bin or PATH");
}

// The account the server runs as: ourselves, or `nobody` when we are root.
struct account {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

account server_account() {
  if (::geteuid() != 0) return {};
  passwd* pw = ::getpwnam("nobody");
  if (!pw) throw std::runtime_error("postgres_server: running as root and there is no user 'nobody' to run as");
  return {true, pw->pw_uid, pw->pw_gid};
}

// Starts `args` with stdout and stderr appended to `log`, in `cwd`, as `who`.
// Everything the child needs is prepared before fork(): between fork and exec a
// multi-threaded parent's child may only make async-signal-safe calls.
pid_t spawn(const std::vector<std::string>& args, const std::string& log, const std::string& cwd, account who) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("postgres_server: fork failed");
  if (pid == 0) {
    if (who.drop && (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)) ::_exit(126);
    // After setuid: changing credentials clears the parent-death signal.
    ::prctl(PR_SET_PDEATHSIG, SIGINT);
    if (::getppid() != parent) ::_exit(125);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    if (::chdir(cwd.c_str()) != 0) ::_exit(124);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string conninfo(const std::string& host, std::uint16_t port, const std::string& dbname) {
  return "host=" + host + " port=" + std::to_string(port) + " user=postgres dbname=" + dbname + " connect_timeout=5";
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Creates the cluster in dir/data; throws with initdb's output when it fails.
void run_initdb(const std::string& dir, account who) {
  std::vector<std::string> initdb{find_binary("initdb"), "-D", dir + "/data", "-A",        "trust", "-U", "postgres",
                                  "--no-sync",           "-E", "UTF8",        "--locale=C"};
  int status = wait_for(spawn(initdb, dir + "/initdb.log", dir, who));
  if (status != 0) {
    std::ifstream in(dir + "/initdb.log");
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("postgres_server: initdb failed (status " + std::to_string(status) + "): " + log);
  }
}

// initdb takes seconds and every test program needs a cluster, so the first one
// keeps a pristine copy in /tmp, keyed by user and initdb binary; later ones copy
// it (cp -a, well under a second). Built under a temporary name and renamed into
// place, so concurrent programs never see half a template. Returns "" when it
// cannot be had; the caller then runs initdb itself.
std::string cluster_template(account who) {
  auto initdb = find_binary("initdb");
  std::error_code ec;
  auto stamp = fs::last_write_time(initdb, ec).time_since_epoch().count();
  auto path = "/tmp/drover-test-pg-template-" + std::to_string(::geteuid()) + "-" +
              std::to_string(std::hash<std::string>{}(initdb) ^ static_cast<std::size_t>(stamp));
  if (fs::exists(path + "/data/PG_VERSION", ec)) return path + "/data";
  char tmpl[] = "/tmp/drover-test-pg-template-new-XXXXXX";
  if (!::mkdtemp(tmpl)) return "";
  std::string building = tmpl;
  try {
    if (who.drop && ::chown(building.c_str(), who.uid, who.gid) != 0) throw std::runtime_error("chown");
    run_initdb(building, who);
    fs::rename(building, path, ec);  // fails when another program got there first: use theirs
  } catch (const std::exception&) {
  }
  fs::remove_all(building, ec);
  return fs::exists(path + "/data/PG_VERSION", ec) ? path + "/data" : "";
}

// A cluster's files are written at startup and removed at the end; on tmpfs this
// costs a tenth of what a disk costs here, so /dev/shm is preferred when present.
std::string scratch_root() { return ::access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp"; }

}  // namespace

postgres_server::postgres_server() {
  std::string tmpl = scratch_root() + "/drover-test-pg-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("postgres_server: mkdtemp in " + scratch_root() + " failed");
  dir_ = tmpl;
  auto who = server_account();
  port_ = free_port();
  try {
    if (who.drop && ::chown(dir_.c_str(), who.uid, who.gid) != 0) {
      throw std::runtime_error("postgres_server: cannot chown " + dir_ + " to nobody");
    }
    auto from = cluster_template(who);
    if (from.empty() || wait_for(spawn({"/bin/cp", "-a", from, dir_ + "/data"}, dir_ + "/cp.log", dir_, who)) != 0) {
      std::error_code ec;
      fs::remove_all(dir_ + "/data", ec);  // whatever a failed copy left
      run_initdb(dir_, who);
    }
    // The port was free when picked; another test's server may take it before ours
    // binds it, and ours then exits: pick another.
    for (int attempt = 1;; ++attempt) {
      try {
        start();
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 3) throw;
        port_ = free_port();
      }
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

postgres_server::~postgres_server() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void postgres_server::start() {
  if (pid_ > 0) return;
  std::vector<std::string> args{find_binary("postgres"),
                                "-D",
                                dir_ + "/data",
                                "-p",
                                std::to_string(port_),
                                "-k",
                                dir_,
                                "-c",
                                "listen_addresses=127.0.0.1",
                                "-c",
                                "fsync=off",
                                "-c",
                                "synchronous_commit=off",
                                "-c",
                                "full_page_writes=off"};
  pid_ = spawn(args, dir_ + "/postgres.log", dir_, server_account());
  wait_ready();
}

void postgres_server::wait_ready() {
  // Through this server's own socket directory: a ping over TCP could be answered by
  // another test's server on the same port (one shutting down, say).
  auto info = conninfo(dir_, port_, "postgres");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::PQping(info.c_str()) == PQPING_OK) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres_server: postgres exited during startup: " + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("postgres_server: postgres did not accept connections on port " + std::to_string(port_) +
                           " within 30 s: " + log_tail());
}

void postgres_server::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: disconnects clients, then exits cleanly
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string postgres_server::log_tail() const {
  std::ifstream in(dir_ + "/postgres.log");
  std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return log.size() > 2000 ? log.substr(log.size() - 2000) : log;
}

std::string postgres_server::url(const std::string& dbname) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

std::string postgres_server::create_database() {
  std::string name = "test_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  query(url(), "CREATE DATABASE " + name);
  return url(name);
}

std::vector<std::string> postgres_server::query(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(::PQconnectdb(url.c_str()), ::PQfinish);
  if (::PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("postgres_server: connecting to " + url + ": " + ::PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> res(::PQexec(conn.get(), sql.c_str()), ::PQclear);
  auto status = ::PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error("postgres_server: " + sql + ": " + ::PQresultErrorMessage(res.get()));
  }
  std::vector<std::string> rows;
  for (int i = 0; i < ::PQntuples(res.get()); ++i) rows.emplace_back(::PQgetvalue(res.get(), i, 0));
  return rows;
}

postgres_server& postgres_server::shared() {
  static postgres_server server;
  return server;
}

}  // namespace drover::test
