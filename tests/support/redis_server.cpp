// redis_server.cpp - starting and stopping redis-server for the tests.
#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace drover::test {

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind failed");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string make_temp_dir(const std::string& what) {
  std::string tmpl = "/tmp/drover-test-" + what + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

pid_t spawn_process(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + args[0] + " (is it installed? scripts/install-deps.sh)");
  }
  return pid;
}

bool info_is_of_process(const std::string& info, pid_t pid) {
  const auto line = "process_id:" + std::to_string(pid);
  for (auto at = info.find(line); at != std::string::npos; at = info.find(line, at + 1)) {
    const auto end = at + line.size();
    const bool starts_line = at == 0 || info[at - 1] == '\n';
    if (starts_line && (end == info.size() || info[end] == '\r' || info[end] == '\n')) return true;
  }
  return false;
}

namespace {

bool can_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

redis_server::redis_server(bool appendonly, std::vector<std::string> extra_args)
    : appendonly_(appendonly), extra_args_(std::move(extra_args)) {
  dir_ = make_temp_dir("redis");
  // The kernel may hand the same free port to another test program's server before ours
  // binds it: ours then exits, and another's would answer in its place.
  for (int attempt = 1;; ++attempt) {
    port_ = free_loopback_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 5) throw;
    }
  }
}

redis_server::~redis_server() {
  if (pid_ > 0) kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void redis_server::start() {
  if (pid_ > 0) return;
  std::vector<std::string> args{"redis-server",
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                "127.0.0.1",
                                "--dir",
                                dir_,
                                "--save",
                                "",
                                "--daemonize",
                                "no",
                                "--logfile",
                                dir_ + "/redis.log",
                                "--appendonly",
                                appendonly_ ? "yes" : "no",
                                "--appendfsync",
                                "always"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = spawn_process(std::move(args));
  wait_ready();
}

void redis_server::wait_ready() {
  // Ready when the server on the port is this one (info_is_of_process).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start on port " + std::to_string(port_) +
                               " (taken by another process?)");
    }
    if (can_connect(port_) && info_is_of_process(cli("INFO server"), pid_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void redis_server::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void redis_server::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

redis_options redis_server::options() const {
  redis_options o;
  o.port = port_;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.command_timeout = std::chrono::milliseconds(5000);
  return o;
}

std::string redis_server::cli(const std::string& args) const {
  return run_shell("redis-cli -p " + std::to_string(port_) + " " + args);
}

std::string run_shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("popen failed");
  std::string out;
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

redis_server& redis_server::shared() {
  static redis_server server;
  return server;
}

}  // namespace drover::test
