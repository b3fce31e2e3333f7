// cluster_nodes.hpp - one node's view of a Redis Cluster, read from its CLUSTER NODES reply.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace drover::test {

// One line of CLUSTER NODES: a node as the node that was asked sees it.
struct cluster_node {
  std::string id;
  std::uint16_t port = 0;
  bool master = false;
  bool myself = false;
  bool failing = false;                    // flagged fail or fail? (possibly failing)
  std::string master_id;                   // a replica's master; "-" for a master
  std::vector<std::pair<int, int>> slots;  // owned ranges, first..last; slots being migrated left out

  bool owns(int slot) const;
};

// Parses the text redis-cli prints for CLUSTER NODES; throws std::runtime_error naming
// a line it cannot read.
std::vector<cluster_node> parse_cluster_nodes(const std::string& text);

// The slot map as text, "port:first-last,...;" per master that owns slots, by port: two
// nodes agree on the map when theirs are equal.
std::string slot_map_of(const std::vector<cluster_node>& nodes);

}  // namespace drover::test
