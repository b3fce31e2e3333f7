// suite_cluster.cpp - the state file of the cluster ctest shares between the tests of a
// run, and routing a test's commands to it.
#include "support/suite_cluster.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "redis/hash_slot.hpp"
#include "support/async.hpp"
#include "support/cluster_nodes.hpp"
#include "support/redis_server.hpp"

namespace drover::test {

void write_suite_cluster_state(const std::string& path, const suite_cluster_state& state) {
  // Written aside and renamed: a reader never sees half a file.
  const auto partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << "url " << state.url << "\ndir " << state.dir << "\n";
    for (auto pid : state.pids) out << "pid " << pid << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write the cluster state file " + partial);
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + partial + " to " + path);
  }
}

suite_cluster_state read_suite_cluster_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the cluster state file " + path);
  suite_cluster_state state;
  std::string field, value;
  while (in >> field >> value) {
    if (field == "url") state.url = value;
    if (field == "dir") state.dir = value;
    if (field == "pid") state.pids.push_back(static_cast<pid_t>(std::stol(value)));
  }
  if (state.url.empty()) throw std::runtime_error("no url in the cluster state file " + path);
  return state;
}

const suite_cluster* suite_cluster::current() {
  static const std::unique_ptr<suite_cluster> cluster = []() -> std::unique_ptr<suite_cluster> {
    const char* path = std::getenv("DROVER_TEST_CLUSTER");
    if (!path || !*path) return nullptr;
    return std::unique_ptr<suite_cluster>(new suite_cluster(read_suite_cluster_state(path)));
  }();
  return cluster.get();
}

suite_cluster::suite_cluster(const suite_cluster_state& state) : url_(state.url) {
  const auto seed = redis_options::from_url(url_).cluster.seeds.front().port;
  for (const auto& n : parse_cluster_nodes(run_shell(fmt::format("redis-cli -p {} CLUSTER NODES", seed)))) {
    if (n.master && !n.slots.empty()) masters_.emplace_back(n.port, n.slots);
  }
  if (masters_.empty()) throw std::runtime_error("the cluster at " + url_ + " has no master with slots");
}

redis_options suite_cluster::options() const {
  auto o = redis_options::from_url(url_);
  // As redis_cluster::options(): a node that does not answer is given up on soon.
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.command_timeout = std::chrono::milliseconds(5000);
  return o;
}

std::uint16_t suite_cluster::master_for(const std::string& key) const {
  const int slot = redis::hash_slot(key);
  for (const auto& [port, ranges] : masters_) {
    for (const auto& [first, last] : ranges) {
      if (slot >= first && slot <= last) return port;
    }
  }
  throw std::runtime_error(fmt::format("no master of {} owns slot {} (key '{}')", url_, slot, key));
}

std::string suite_cluster::cli(const std::string& key, const std::string& args) const {
  return run_shell(fmt::format("redis-cli -c -p {} {}", master_for(key), args));
}

redis_options suite_redis_options() {
  if (const auto* cluster = suite_cluster::current()) return cluster->options();
  return redis_server::shared().options();
}

std::string suite_queue_name(const std::string& label) {
  auto name = unique_queue(label);
  return suite_cluster::current() ? "{" + name + "}" : name;
}

std::string suite_cli(const std::string& key, const std::string& args) {
  if (const auto* cluster = suite_cluster::current()) return cluster->cli(key, args);
  return redis_server::shared().cli(args);
}

}  // namespace drover::test
