// sentinel_set.cpp - starting redis-sentinel processes with their own config files.
#include "support/sentinel_set.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace drover::test {

sentinel_set::sentinel_set(std::string sentinel_password) : password_(std::move(sentinel_password)) {
  dir_ = make_temp_dir("sentinel");
  servers_ = std::make_unique<replica_pair>();
  try {
    for (int i = 0; i < 3; ++i) start_sentinel();
    wait_until_watching();
  } catch (...) {
    // No destructor runs for a constructor that throws; sentinels left running would
    // also hold the test's output open, and ctest would wait for them.
    kill_sentinels();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

sentinel_set::~sentinel_set() {
  kill_sentinels();
  servers_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void sentinel_set::start_sentinel() {
  // A port found free can be taken before the sentinel binds it (by another test's server,
  // or as the local end of an outgoing connection): the sentinel then exits, and another
  // port is tried. The kernel may also hand one free port out twice.
  for (int attempt = 1;; ++attempt) {
    auto port = free_loopback_port();
    while (std::find(ports_.begin(), ports_.end(), port) != ports_.end()) port = free_loopback_port();
    const auto conf = dir_ + "/sentinel-" + std::to_string(port) + ".conf";
    {
      // Sentinel rewrites its file as it learns, so each has its own.
      std::ofstream f(conf);
      f << "port " << port << "\nbind 127.0.0.1\ndaemonize no\ndir " << dir_ << "\nlogfile " << dir_ << "/sentinel-"
        << port << ".log\n"
        << "sentinel monitor " << master_name << " 127.0.0.1 " << servers_->master().port() << " 2\n"
        << "sentinel down-after-milliseconds " << master_name << " 1000\n"
        << "sentinel failover-timeout " << master_name << " 10000\n";
      if (!password_.empty()) f << "requirepass " << password_ << "\nsentinel sentinel-pass " << password_ << "\n";
    }
    const auto pid = spawn_process({"redis-sentinel", conf});
    const auto auth = password_.empty() ? std::string() : fmt::format(" --no-auth-warning -a {}", password_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool exited = false;
    while (!exited && std::chrono::steady_clock::now() < deadline) {
      // Ready when the server on the port is this sentinel.
      if (info_is_of_process(run_shell(fmt::format("redis-cli -p {}{} INFO server", port, auth)), pid)) {
        ports_.push_back(port);
        pids_.push_back(pid);
        return;
      }
      exited = ::waitpid(pid, nullptr, WNOHANG) == pid;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (attempt == 3) {
      throw std::runtime_error(
          fmt::format("redis-sentinel did not start on port {} (see {}/sentinel-{}.log)", port, dir_, port));
    }
  }
}

void sentinel_set::kill_sentinels() {
  for (auto pid : pids_) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  pids_.clear();
}

std::string sentinel_set::sentinel_cli(const std::string& args) const {
  const auto auth = password_.empty() ? std::string() : fmt::format(" --no-auth-warning -a {}", password_);
  return run_shell(fmt::format("redis-cli -p {}{} {}", ports_.front(), auth, args));
}

void sentinel_set::wait_until_watching() const {
  // A failover needs a known replica and a quorum of sentinels that know each other.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto info = sentinel_cli("INFO sentinel");
    const auto needle = fmt::format("name={},status=ok,address=127.0.0.1:{},slaves=1,sentinels=3", master_name,
                                    servers_->master().port());
    if (info.find(needle) != std::string::npos) return;  // the replica is in sync already (replica_pair)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("the sentinels did not see the replica and each other in time: " +
                           sentinel_cli("INFO sentinel"));
}

std::uint16_t sentinel_set::master_port_now() const {
  const auto out = sentinel_cli(fmt::format("SENTINEL get-master-addr-by-name {}", master_name));
  const auto newline = out.find('\n');
  if (newline == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoi(out.substr(newline + 1)));
}

redis_options sentinel_set::options() const {
  auto o = servers_->master().options();
  o.sentinel.master_name = master_name;
  o.sentinel.password = password_;
  for (auto port : ports_) o.sentinel.sentinels.push_back(redis_endpoint{"127.0.0.1", port});
  o.host = "127.0.0.1";
  o.port = 0;
  return o;
}

}  // namespace drover::test
