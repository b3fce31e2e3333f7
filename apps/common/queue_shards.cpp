// queue_shards.cpp - the three queues' shard settings and the cluster prefix check.
#include "drover_app/queue_shards.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>
#include <vector>

#include <drover/error.hpp>
#include <drover/shard_names.hpp>

#include "drover_app/env.hpp"

namespace drover::app {

namespace {

struct queue_setting {
  const char* queue;
  const char* variable;
  std::size_t queue_shards::*field;
};

constexpr std::array<queue_setting, 3> settings{{
    {"ai-processing", "AI_QUEUE_SHARDS", &queue_shards::ai},
    {"document-processing", "DOCUMENT_QUEUE_SHARDS", &queue_shards::documents},
    {"webhook-delivery", "WEBHOOK_QUEUE_SHARDS", &queue_shards::webhooks},
}};

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

queue_shards queue_shards::from_env() {
  queue_shards s;
  for (const auto& q : settings) {
    if (const char* v = env(q.variable)) s.*q.field = env_number<std::size_t>(q.variable, v, 0, max_shards);
  }
  return s;
}

std::size_t queue_shards::of(std::string_view name) const {
  for (const auto& q : settings) {
    if (name == q.queue) return this->*q.field;
  }
  return 0;
}

queue_shard queue_shards::locate(std::string_view queue_name) const {
  for (const auto& q : settings) {
    const auto n = this->*q.field;
    if (n == 0) continue;
    // shard_index_of takes any extension k; only the one shard_name picks is that shard.
    const auto index = shard_index_of(queue_name, q.queue);
    if (index && *index < n && shard_name(q.queue, *index, n) == queue_name) return queue_shard{q.queue, n, *index};
  }
  return queue_shard{std::string(queue_name), 0, 0};
}

std::vector<queue_shard> queue_shards::queues_of(std::string_view name) const {
  const auto n = of(name);
  if (n == 0) return {locate(name)};
  std::vector<queue_shard> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(queue_shard{std::string(name), n, i});
  return out;
}

void queue_shards::check_prefix(std::string_view prefix, const redis_options& redis) const {
  if (redis.cluster.seeds.empty()) return;
  std::vector<std::string> plain, sharded;
  for (const auto& q : settings) {
    const auto n = this->*q.field;
    if (n == 0) {
      plain.push_back(fmt::format("{} ({}=0)", q.queue, q.variable));
    } else {
      sharded.push_back(fmt::format("{} ({}={})", q.queue, q.variable, n));
    }
  }
  const bool tagged = has_hash_tag(prefix);
  if (!tagged && !plain.empty()) {
    throw error(errc::invalid_argument,
                fmt::format("QUEUE_PREFIX '{}' has no hash tag, so on a Redis Cluster the keys of the plain queues {} "
                            "would spread over the cluster's slots. Either give the prefix a hash tag "
                            "(QUEUE_PREFIX={{{}}}) and leave every queue plain, or shard every queue: "
                            "AI_QUEUE_SHARDS, DOCUMENT_QUEUE_SHARDS and WEBHOOK_QUEUE_SHARDS of 1 or more "
                            "(each shard carries a hash tag of its own)",
                            prefix, joined(plain), prefix));
  }
  if (tagged && !sharded.empty()) {
    throw error(errc::invalid_argument,
                fmt::format("QUEUE_PREFIX '{}' has a hash tag, which on a Redis Cluster would put every shard of the "
                            "sharded queues {} in one slot. Either use a prefix without braces (such as "
                            "QUEUE_PREFIX=bull) and shard every queue (AI_QUEUE_SHARDS, DOCUMENT_QUEUE_SHARDS and "
                            "WEBHOOK_QUEUE_SHARDS of 1 or more), or keep the tagged prefix and set those to 0",
                            prefix, joined(sharded)));
  }
}

bool has_hash_tag(std::string_view prefix) {
  const auto open = prefix.find('{');
  if (open == std::string_view::npos) return false;
  const auto close = prefix.find('}', open + 1);
  return close != std::string_view::npos && close > open + 1;
}

}  // namespace drover::app
