// redis_cluster.cpp - starting redis-server nodes in cluster mode, joining them, and
// crashing, restarting and resharding them for the tests.
#include "support/redis_cluster.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "support/redis_server.hpp"

namespace drover::test {

namespace {

using namespace std::chrono_literals;

// `s` as one shell word.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The value of `field` in an INFO-style reply ("cluster_state" -> "ok"), "" when absent.
std::string info_field(const std::string& info, const std::string& field) {
  std::istringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
  }
  return {};
}

}  // namespace

redis_cluster::redis_cluster(int masters, int replicas_per_master, const test_certificates* tls)
    : replicas_per_master_(replicas_per_master), tls_(tls) {
  dir_ = make_temp_dir("cluster");
  try {
    for (int i = 0; i < masters * (1 + replicas_per_master); ++i) nodes_.push_back(start_on_free_ports());
    create();
    wait_until_stable();
  } catch (...) {
    // No destructor runs for a constructor that throws, and servers left running would
    // hold the test's output open: ctest would wait for them.
    kill_all();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

redis_cluster::~redis_cluster() {
  if (nodes_.empty()) return;  // released
  kill_all();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<pid_t> redis_cluster::release() {
  std::vector<pid_t> pids;
  for (const auto& n : nodes_) {
    if (n.pid > 0) pids.push_back(n.pid);
  }
  nodes_.clear();
  return pids;
}

void redis_cluster::kill_all() {
  for (auto& n : nodes_) {
    if (n.pid > 0) {
      ::kill(n.pid, SIGKILL);
      ::waitpid(n.pid, nullptr, 0);
      n.pid = -1;
    }
  }
}

redis_cluster::node redis_cluster::start_on_free_ports() {
  // Every node needs a client port and a bus port (--cluster-port: the default, port +
  // 10000, may be taken or past 65535). A port found free can be taken before the node
  // binds it (by another test's server, or as the local end of any outgoing connection):
  // the node then exits, and it is started again on other ports. The kernel may also hand
  // one free port out twice, so each is checked against those already chosen.
  auto distinct_port = [&](const node& n) {
    for (;;) {
      const auto port = free_loopback_port();
      const bool used =
          port == n.port || port == n.bus_port || std::any_of(nodes_.begin(), nodes_.end(), [&](const node& other) {
            return port == other.port || port == other.bus_port || port == other.tls_port;
          });
      if (!used) return port;
    }
  };
  for (int attempt = 1;; ++attempt) {
    node n;
    n.port = distinct_port(n);
    n.bus_port = distinct_port(n);
    if (tls_) n.tls_port = distinct_port(n);
    try {
      start(n);
      return n;
    } catch (const std::exception&) {
      if (attempt == 5) throw;
    }
  }
}

void redis_cluster::start(node& n) {
  const auto port = std::to_string(n.port);
  const std::vector<std::pair<std::string, std::string>> settings{
      {"port", port},
      {"bind", "127.0.0.1"},
      {"dir", dir_},
      {"logfile", fmt::format("{}/redis-{}.log", dir_, port)},
      {"daemonize", "no"},
      {"save", ""},
      {"appendonly", "no"},
      {"cluster-enabled", "yes"},
      {"cluster-port", std::to_string(n.bus_port)},
      // Kept across restarts: the node comes back with its id.
      {"cluster-config-file", fmt::format("{}/nodes-{}.conf", dir_, port)},
      {"cluster-node-timeout", std::to_string(node_timeout_ms)},
      // A replica cut off for long (or one that never finished its first sync) would
      // otherwise refuse to take over: a test wants the failover, not the stale-data guard.
      {"cluster-replica-validity-factor", "0"},
      // Redis waits 5 s before a diskless sync in case more replicas come.
      {"repl-diskless-sync-delay", "0"},
  };
  std::vector<std::string> args{"redis-server"};
  if (tls_) {
    const std::vector<std::string> tls_args{"--tls-port",         std::to_string(n.tls_port),
                                            "--tls-cert-file",    tls_->server_cert,
                                            "--tls-key-file",     tls_->server_key,
                                            "--tls-ca-cert-file", tls_->ca_cert,
                                            "--tls-auth-clients", "no",
                                            "--tls-cluster",      "yes",
                                            "--tls-replication",  "yes"};
    args.insert(args.end(), tls_args.begin(), tls_args.end());
  }
  for (const auto& [name, value] : settings) {
    args.push_back("--" + name);
    args.push_back(value);
  }
  n.pid = spawn_process(std::move(args));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  // Ready when the server on the port is this node (its process_id): a node that could
  // not bind its ports exits, and another process's server there must not pass for it.
  while (!info_is_of_process(node_cli(n.port, "INFO server"), n.pid)) {
    const bool exited = ::waitpid(n.pid, nullptr, WNOHANG) == n.pid;
    if (exited) n.pid = -1;
    if (exited || std::chrono::steady_clock::now() > deadline) {
      if (n.pid > 0) {
        ::kill(n.pid, SIGKILL);
        ::waitpid(n.pid, nullptr, 0);
        n.pid = -1;
      }
      // The directory goes when the constructor fails: the log's end goes in the message.
      std::ifstream log(fmt::format("{}/redis-{}.log", dir_, n.port));
      const std::string text{std::istreambuf_iterator<char>(log), {}};
      throw std::runtime_error(fmt::format("cluster node did not start on port {} (bus {}): {}", n.port, n.bus_port,
                                           text.substr(text.size() > 600 ? text.size() - 600 : 0)));
    }
    std::this_thread::sleep_for(20ms);
  }
}

void redis_cluster::create() {
  std::string addresses;
  for (const auto& n : nodes_) addresses += fmt::format("127.0.0.1:{} ", n.port);
  const auto out = run_shell(
      fmt::format("redis-cli --cluster create {}--cluster-replicas {} --cluster-yes", addresses, replicas_per_master_));
  if (out.find("[OK] All 16384 slots covered") == std::string::npos) {
    throw std::runtime_error("redis-cli --cluster create failed: " + out);
  }
}

std::string redis_cluster::node_cli(std::uint16_t port, const std::string& args) const {
  return run_shell(fmt::format("redis-cli -p {} {}", port, args));
}

std::string redis_cluster::node_session(std::uint16_t port, const std::vector<std::string>& commands) const {
  std::string lines;
  for (const auto& c : commands) lines += " " + shell_quote(c);
  return run_shell(fmt::format("printf '%s\\n'{} | redis-cli -p {}", lines, port));
}

std::string redis_cluster::cli(const std::string& args) const {
  // A live master: a killed one may own slots until the failover.
  auto port = live_port();
  for (auto master : master_ports()) {
    if (running(master)) {
      port = master;
      break;
    }
  }
  return run_shell(fmt::format("redis-cli -c -p {} {}", port, args));
}

bool redis_cluster::running(std::uint16_t port) const {
  return std::any_of(nodes_.begin(), nodes_.end(), [&](const node& n) { return n.port == port && n.pid > 0; });
}

std::vector<std::uint16_t> redis_cluster::ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& n : nodes_) ports.push_back(n.port);
  return ports;
}

std::uint16_t redis_cluster::live_port() const {
  for (const auto& n : nodes_) {
    if (n.pid > 0) return n.port;
  }
  throw std::runtime_error("every node of the cluster is down");
}

std::vector<cluster_node> redis_cluster::nodes() const {
  return parse_cluster_nodes(node_cli(live_port(), "CLUSTER NODES"));
}

std::vector<std::uint16_t> redis_cluster::master_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& n : nodes()) {
    if (n.master && !n.slots.empty()) ports.push_back(n.port);
  }
  std::sort(ports.begin(), ports.end());
  return ports;
}

int redis_cluster::slot_of(const std::string& key) const {
  return std::stoi(node_cli(live_port(), "CLUSTER KEYSLOT " + shell_quote(key)));
}

std::uint16_t redis_cluster::master_port_for_slot(int slot) const {
  for (const auto& n : nodes()) {
    if (n.master && n.owns(slot)) return n.port;
  }
  throw std::runtime_error(fmt::format("no master owns slot {}", slot));
}

std::uint16_t redis_cluster::master_port_for_key(const std::string& key) const {
  return master_port_for_slot(slot_of(key));
}

std::string redis_cluster::node_id(std::uint16_t port) const { return node_cli(port, "CLUSTER MYID"); }

redis_options redis_cluster::options() const {
  redis_options o;
  for (auto port : master_ports()) o.cluster.seeds.push_back(redis_endpoint{"127.0.0.1", port});
  o.host = o.cluster.seeds.front().host;
  o.port = o.cluster.seeds.front().port;
  o.connect_timeout = 1000ms;
  o.command_timeout = 5000ms;
  return o;
}

redis_options redis_cluster::tls_options() const {
  if (!tls_) throw std::logic_error("redis_cluster::tls_options: the cluster was made without certificates");
  redis_options o = options();
  o.cluster.seeds.clear();
  for (auto port : master_ports()) {
    for (const auto& n : nodes_) {
      if (n.port == port) o.cluster.seeds.push_back(redis_endpoint{"127.0.0.1", n.tls_port});
    }
  }
  o.port = o.cluster.seeds.front().port;
  o.tls.enabled = true;
  o.tls.ca_file = tls_->ca_cert;
  return o;
}

std::string redis_cluster::url() const {
  std::string seeds;
  for (auto port : master_ports()) seeds += fmt::format("{}127.0.0.1:{}", seeds.empty() ? "" : ",", port);
  return "redis+cluster://" + seeds;
}

void redis_cluster::kill(std::uint16_t port) {
  for (auto& n : nodes_) {
    if (n.port == port && n.pid > 0) {
      ::kill(n.pid, SIGKILL);
      ::waitpid(n.pid, nullptr, 0);
      n.pid = -1;
      return;
    }
  }
  throw std::runtime_error(fmt::format("no running cluster node on port {}", port));
}

std::uint16_t redis_cluster::kill_master_for_key(const std::string& key) {
  const auto port = master_port_for_key(key);
  kill(port);
  return port;
}

void redis_cluster::wait_for_failover(std::chrono::milliseconds timeout) const {
  try {
    wait_until_stable(timeout);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("no failover: ") + e.what());
  }
}

void redis_cluster::restart(std::uint16_t port) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const node& n) { return n.port == port; });
  if (it == nodes_.end() || it->pid > 0) {
    throw std::runtime_error(fmt::format("no killed cluster node on port {} to restart", port));
  }
  start(*it);
  wait_until_stable();
}

std::string redis_cluster::unstable_because() const {
  const auto live =
      static_cast<std::size_t>(std::count_if(nodes_.begin(), nodes_.end(), [](const node& n) { return n.pid > 0; }));
  std::string first_topology;
  for (const auto& n : nodes_) {
    if (n.pid <= 0) continue;
    const auto state = info_field(node_cli(n.port, "CLUSTER INFO"), "cluster_state");
    if (state != "ok") return fmt::format("node {} says cluster_state:{}", n.port, state);
    auto view = parse_cluster_nodes(node_cli(n.port, "CLUSTER NODES"));
    for (const auto& v : view) {
      if (v.master && !v.slots.empty() && !running(v.port)) {
        return fmt::format("node {} sees slots on the killed node {}", n.port, v.port);
      }
      if (v.myself && !v.master) {
        const auto link = info_field(node_cli(n.port, "INFO replication"), "master_link_status");
        if (link != "up") return fmt::format("replica {} has master_link_status:{}", n.port, link);
      }
    }
    // Killed nodes are seen failing sooner by some than by others; the rest must agree,
    // roles included: gossip about a new replica can lag behind the slot map.
    std::erase_if(view, [&](const cluster_node& v) { return !running(v.port); });
    if (view.size() != live) return fmt::format("node {} knows {} of the {} running nodes", n.port, view.size(), live);
    const auto topology = topology_of(view);
    if (first_topology.empty()) first_topology = topology;
    if (topology != first_topology) return fmt::format("node {} sees {}, another {}", n.port, topology, first_topology);
    if (topology.find("failing") != std::string::npos) return fmt::format("node {} sees {}", n.port, topology);
  }
  return {};
}

void redis_cluster::wait_until_stable(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto why = unstable_because();
    if (why.empty()) return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(fmt::format("the cluster did not settle within {} ms: {}; CLUSTER NODES of {}:\n{}",
                                           timeout.count(), why, live_port(), node_cli(live_port(), "CLUSTER NODES")));
    }
    std::this_thread::sleep_for(100ms);
  }
}

void redis_cluster::begin_slot_migration(int slot, std::uint16_t to_port) {
  const auto from_port = master_port_for_slot(slot);
  if (from_port == to_port) throw std::runtime_error(fmt::format("slot {} is already on {}", slot, to_port));
  // Importing first: a client sent to the target by ASK must find it ready.
  const auto importing = node_cli(to_port, fmt::format("CLUSTER SETSLOT {} IMPORTING {}", slot, node_id(from_port)));
  const auto migrating = node_cli(from_port, fmt::format("CLUSTER SETSLOT {} MIGRATING {}", slot, node_id(to_port)));
  if (importing != "OK" || migrating != "OK") {
    throw std::runtime_error(
        fmt::format("cannot migrate slot {} from {} to {}: {} / {}", slot, from_port, to_port, importing, migrating));
  }
}

void redis_cluster::move_slot_keys(int slot, std::uint16_t to_port) {
  const auto from_port = master_port_for_slot(slot);
  for (;;) {
    const auto keys = node_cli(from_port, fmt::format("CLUSTER GETKEYSINSLOT {} 100", slot));
    if (keys.empty()) return;
    std::string quoted;
    std::istringstream lines(keys);
    std::string key;
    while (std::getline(lines, key)) quoted += " " + shell_quote(key);
    const auto out = node_cli(from_port, fmt::format("MIGRATE 127.0.0.1 {} \"\" 0 5000 KEYS{}", to_port, quoted));
    if (out != "OK") throw std::runtime_error(fmt::format("MIGRATE of slot {} to {} failed: {}", slot, to_port, out));
  }
}

void redis_cluster::finish_slot_migration(int slot, std::uint16_t to_port) {
  const auto from_port = master_port_for_slot(slot);
  const auto to_id = node_id(to_port);
  // The target first, so that it owns the slot before the source starts sending MOVED
  // there; then every other master, rather than waiting for gossip.
  std::vector<std::uint16_t> order{to_port, from_port};
  for (auto port : master_ports()) {
    if (port != to_port && port != from_port) order.push_back(port);
  }
  for (auto port : order) {
    const auto out = node_cli(port, fmt::format("CLUSTER SETSLOT {} NODE {}", slot, to_id));
    if (out != "OK") throw std::runtime_error(fmt::format("SETSLOT {} NODE on {} failed: {}", slot, port, out));
  }
  wait_until_stable();
}

void redis_cluster::migrate_slot(int slot, std::uint16_t to_port) {
  begin_slot_migration(slot, to_port);
  move_slot_keys(slot, to_port);
  finish_slot_migration(slot, to_port);
}

redis_cluster& redis_cluster::shared() {
  static redis_cluster cluster;
  return cluster;
}

}  // namespace drover::test
