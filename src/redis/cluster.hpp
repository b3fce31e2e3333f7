// cluster.hpp - a Redis Cluster's slot map: reading it from CLUSTER SLOTS, asking the
// nodes for it, and the redirections (MOVED, ASK) its nodes answer with.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "drover/redis_options.hpp"
#include "redis/reply.hpp"

namespace drover::redis {

// Which master serves each slot, and every node the map names.
struct cluster_map {
  struct range {
    std::uint16_t first = 0, last = 0;
    redis_endpoint master;
    std::vector<redis_endpoint> replicas;
  };
  std::vector<range> ranges;

  // The master serving `slot`, or nullopt when no node does (a cluster being set up,
  // or the map of a failed one).
  std::optional<redis_endpoint> master_of(std::uint16_t slot) const;
  // Each master once, in slot order.
  std::vector<redis_endpoint> masters() const;
  // Masters, then replicas: where to ask next time.
  std::vector<redis_endpoint> nodes() const;
};

// Reads a CLUSTER SLOTS reply from the node at `asked` (a node that does not know its
// own address answers an empty host: it means `asked`). Throws std::runtime_error when
// the reply is not a slot map.
cluster_map parse_cluster_slots(const reply& r, const redis_endpoint& asked);

// Asks the nodes in turn (`known` first, then opts.cluster.seeds) for the slot map, with
// opts's credentials and TLS, each within opts.connect_timeout; returns the first map
// given. Throws std::runtime_error saying why each node gave none ("127.0.0.1:7000:
// connection refused; ...").
// `asking`, when given, holds the connection to the node being asked meanwhile (it must
// outlive the call), so that its owner can close it: closing it ends the whole question
// with errc::closed.
class connection;
boost::asio::awaitable<cluster_map> ask_cluster(boost::asio::any_io_executor ex, const redis_options& opts,
                                                std::vector<redis_endpoint> known,
                                                std::shared_ptr<connection>* asking = nullptr);

// The options for talking to one node of a cluster directly (no map, no redirects).
redis_options node_options(const redis_options& cluster, const redis_endpoint& node);

// What a cluster node's error reply asks of the client.
struct redirection {
  enum class kind {
    none,
    moved,  // MOVED <slot> <host:port>: the slot lives there now; go there for good
    ask,    // ASK <slot> <host:port>: this key is being imported there; ask once, after ASKING
    retry,  // TRYAGAIN (keys split by a migration) or CLUSTERDOWN (a failover): wait, again
  };
  kind type = kind::none;
  redis_endpoint target;  // moved and ask
};
redirection redirection_of(const reply& r);

}  // namespace drover::redis
