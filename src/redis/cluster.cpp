// cluster.cpp - reading and asking for a Redis Cluster's slot map; redirection replies.
#include "redis/cluster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "drover/error.hpp"
#include "redis/connection.hpp"
#include "redis/sentinel_session.hpp"

namespace net = boost::asio;

namespace drover::redis {

std::optional<redis_endpoint> cluster_map::master_of(std::uint16_t slot) const {
  for (const auto& r : ranges) {
    if (slot >= r.first && slot <= r.last) return r.master;
  }
  return std::nullopt;
}

std::vector<redis_endpoint> cluster_map::masters() const {
  std::vector<redis_endpoint> out;
  for (const auto& r : ranges) {
    if (std::find(out.begin(), out.end(), r.master) == out.end()) out.push_back(r.master);
  }
  return out;
}

std::vector<redis_endpoint> cluster_map::nodes() const {
  auto out = masters();
  for (const auto& r : ranges) {
    for (const auto& replica : r.replicas) {
      if (std::find(out.begin(), out.end(), replica) == out.end()) out.push_back(replica);
    }
  }
  return out;
}

namespace {

redis_endpoint node_of(const reply& r, const redis_endpoint& asked) {
  if (!r.is_array() || r.elements.size() < 2)
    throw std::runtime_error("CLUSTER SLOTS: a node is not [host, port, ...]");
  auto port = r.elements[1].as_int();
  if (!port || *port <= 0 || *port > 65535) throw std::runtime_error("CLUSTER SLOTS: a node's port is not a port");
  auto host = r.elements[0].as_string();
  // An empty host (or "?") is the node that answered, which does not know its address.
  if (host.empty() || host == "?") host = asked.host;
  return redis_endpoint{std::move(host), static_cast<std::uint16_t>(*port)};
}

}  // namespace

cluster_map parse_cluster_slots(const reply& r, const redis_endpoint& asked) {
  if (r.is_error()) throw std::runtime_error(r.str);
  if (!r.is_array()) throw std::runtime_error("CLUSTER SLOTS: unexpected reply");
  cluster_map map;
  for (const auto& e : r.elements) {
    if (!e.is_array() || e.elements.size() < 3)
      throw std::runtime_error("CLUSTER SLOTS: a range is not [first, last, master...]");
    auto first = e.elements[0].as_int();
    auto last = e.elements[1].as_int();
    if (!first || !last || *first < 0 || *last < *first || *last >= 16384) {
      throw std::runtime_error("CLUSTER SLOTS: a range's slots are out of bounds");
    }
    cluster_map::range range;
    range.first = static_cast<std::uint16_t>(*first);
    range.last = static_cast<std::uint16_t>(*last);
    range.master = node_of(e.elements[2], asked);
    for (std::size_t i = 3; i < e.elements.size(); ++i) range.replicas.push_back(node_of(e.elements[i], asked));
    map.ranges.push_back(std::move(range));
  }
  if (map.ranges.empty()) throw std::runtime_error("no slot is served (the cluster is not set up)");
  return map;
}

redis_options node_options(const redis_options& cluster, const redis_endpoint& node) {
  redis_options o = cluster;
  o.cluster.seeds.clear();
  o.host = node.host;
  o.port = node.port;
  return o;
}

net::awaitable<cluster_map> ask_cluster(net::any_io_executor ex, const redis_options& opts,
                                        std::vector<redis_endpoint> known, std::shared_ptr<connection>* asking) {
  for (const auto& seed : opts.cluster.seeds) {
    if (std::find(known.begin(), known.end(), seed) == known.end()) known.push_back(seed);
  }
  std::string why;
  for (const auto& node : known) {
    auto node_opts = node_options(opts, node);
    node_opts.command_timeout = opts.connect_timeout;  // the whole question, not each step
    auto conn = connection::create(ex, std::move(node_opts));
    if (asking) *asking = conn;
    std::string failed;
    try {
      command slots{"CLUSTER", "SLOTS"};
      auto call = conn->exec(std::move(slots));  // named: GCC 12 and temporaries in co_await
      auto r = co_await std::move(call);
      conn->close();
      if (r.is_error() && r.str.find("cluster support disabled") != std::string::npos) {
        throw std::runtime_error("not a cluster node (cluster support disabled): use redis:// for a single server");
      }
      if (asking) asking->reset();
      co_return parse_cluster_slots(r, node);
    } catch (const error& e) {
      if (e.is(errc::closed)) {
        if (asking) asking->reset();
        throw;  // the owner is closing: ask no further
      }
      failed = e.what();
    } catch (const std::exception& e) {
      failed = e.what();
    }
    conn->close();
    if (asking) asking->reset();
    why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", endpoint_text(node), failed);
  }
  throw std::runtime_error(fmt::format("no cluster node gave the slot map ({})", why));
}

redirection redirection_of(const reply& r) {
  if (!r.is_error()) return {};
  std::string_view text = r.str;
  if (text.starts_with("TRYAGAIN") || text.starts_with("CLUSTERDOWN")) return {redirection::kind::retry, {}};
  const bool moved = text.starts_with("MOVED ");
  if (!moved && !text.starts_with("ASK ")) return {};
  // "<MOVED|ASK> <slot> <host>:<port>"; an IPv6 host is bare, so the port follows the last ':'.
  const auto target = text.substr(text.rfind(' ') + 1);
  const auto colon = target.rfind(':');
  if (colon == std::string_view::npos) return {};
  const auto port_text = target.substr(colon + 1);
  std::uint16_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size()) return {};
  // An empty host ("MOVED 1 :7001": the node does not know the address) is left to the
  // slot map.
  return {moved ? redirection::kind::moved : redirection::kind::ask,
          redis_endpoint{std::string(target.substr(0, colon)), port}};
}

}  // namespace drover::redis
