// replica_pair.cpp - see replica_pair.hpp.
#include "support/replica_pair.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace drover::test {

replica_pair::replica_pair() {
  // Redis 7 waits 5 s before a diskless sync by default, in case more replicas come.
  master_ = std::make_unique<redis_server>(false, std::vector<std::string>{"--repl-diskless-sync-delay", "0"});
  replica_ = std::make_unique<redis_server>(
      false, std::vector<std::string>{"--replicaof", "127.0.0.1", std::to_string(master_->port())});
  wait_until_in_sync(*master_);
}

void wait_until_in_sync(const redis_server& master) {
  // The replica's own link says up first; the master counts it in WAIT only once it has
  // put it online, after its first ACK (up to a second later).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto info = master.cli("INFO replication");
    if (info.find("slave0:") != std::string::npos && info.find("state=online") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the master on port " + std::to_string(master.port()) +
                           " did not put its replica online in time");
}

}  // namespace drover::test
