// eviction_policy.cpp - warns once per process and server when Redis may evict queue keys.
#include "redis/eviction_policy.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

namespace drover::redis::eviction_policy {

namespace {

enum class state { asking, done };

// Per endpoint; an endpoint that is absent has not been asked about.
std::mutex table_mutex;
std::map<std::string, state>& table() {
  static std::map<std::string, state> t;  // guarded by table_mutex
  return t;
}

}  // namespace

bool claim(const std::string& endpoint) {
  std::lock_guard lock(table_mutex);
  return table().try_emplace(endpoint, state::asking).second;
}

void release(const std::string& endpoint) {
  std::lock_guard lock(table_mutex);
  auto it = table().find(endpoint);
  if (it != table().end() && it->second == state::asking) table().erase(it);
}

void report(const std::string& endpoint, const reply& info) {
  {
    std::lock_guard lock(table_mutex);
    table()[endpoint] = state::done;
  }
  if (info.is_error()) {
    spdlog::debug("redis at {}: cannot read maxmemory-policy ({}); not checked", endpoint, info.str);
    return;
  }
  auto policy = policy_in(info.str);
  // Any other policy lets Redis delete keys under memory pressure, and a queue whose
  // job hash or lock vanishes loses jobs without an error (BullMQ warns the same way).
  if (!policy.empty() && policy != "noeviction") {
    spdlog::warn("IMPORTANT! Eviction policy is {} on Redis at {}. It should be \"noeviction\"", policy, endpoint);
  }
}

std::string_view policy_in(std::string_view info) {
  constexpr std::string_view field = "maxmemory_policy:";
  for (std::size_t pos = 0; pos < info.size();) {
    auto end = info.find('\n', pos);
    if (end == std::string_view::npos) end = info.size();
    auto line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with(field)) return line.substr(field.size());
    pos = end + 1;
  }
  return {};
}

}  // namespace drover::redis::eviction_policy
