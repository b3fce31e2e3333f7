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

// Who is what as text, one "port master first-last,...;" or "port replica of <id>;" per
// node, by port, with " failing" for a node so flagged: two nodes agree on the cluster when
// theirs are equal.
std::string topology_of(const std::vector<cluster_node>& nodes);

}  // namespace drover::test
