// cluster_nodes.cpp - reading CLUSTER NODES lines: id, address, flags, master, slots.
#include "support/cluster_nodes.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace drover::test {

namespace {

bool has_flag(const std::string& flags, const std::string& flag) {
  std::istringstream in(flags);
  std::string f;
  while (std::getline(in, f, ',')) {
    if (f == flag) return true;
  }
  return false;
}

// "127.0.0.1:7000@17000[,hostname]" -> 7000
std::uint16_t port_of(const std::string& address) {
  const auto colon = address.rfind(':', address.find('@'));
  if (colon == std::string::npos) throw std::runtime_error("no port in '" + address + "'");
  return static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
}

}  // namespace

bool cluster_node::owns(int slot) const {
  return std::any_of(slots.begin(), slots.end(), [&](const auto& r) { return r.first <= slot && slot <= r.second; });
}

std::vector<cluster_node> parse_cluster_nodes(const std::string& text) {
  std::vector<cluster_node> nodes;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string address, flags, ping_sent, pong_received, epoch, link;
    cluster_node n;
    if (!(fields >> n.id >> address >> flags >> n.master_id >> ping_sent >> pong_received >> epoch >> link)) {
      throw std::runtime_error("not a CLUSTER NODES line: '" + line + "'");
    }
    n.port = port_of(address);
    n.master = has_flag(flags, "master");
    n.myself = has_flag(flags, "myself");
    n.failing = has_flag(flags, "fail") || has_flag(flags, "fail?");
    std::string range;
    while (fields >> range) {
      // "[slot->-id]" and "[slot-<-id]" are migrations in progress, not ownership.
      if (range.front() == '[') continue;
      const auto dash = range.find('-');
      const int first = std::stoi(range.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
      n.slots.emplace_back(first, last);
    }
    nodes.push_back(std::move(n));
  }
  return nodes;
}

std::string topology_of(const std::vector<cluster_node>& nodes) {
  std::vector<const cluster_node*> sorted;
  for (const auto& n : nodes) sorted.push_back(&n);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->port < b->port; });
  std::string text;
  for (const auto* n : sorted) {
    text += std::to_string(n->port);
    if (n->master) {
      auto ranges = n->slots;
      std::sort(ranges.begin(), ranges.end());
      text += " master ";
      for (const auto& [first, last] : ranges) text += std::to_string(first) + "-" + std::to_string(last) + ",";
    } else {
      text += " replica of " + n->master_id;
    }
    text += n->failing ? " failing;" : ";";
  }
  return text;
}

}  // namespace drover::test
