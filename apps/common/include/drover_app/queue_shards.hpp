// queue_shards.hpp - how many shards each of the apps' three queues has (AI_QUEUE_SHARDS,
// DOCUMENT_QUEUE_SHARDS, WEBHOOK_QUEUE_SHARDS), read alike by the API and the Workers app.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <drover/redis_options.hpp>

#include "drover_app/app_job_id.hpp"

namespace drover::app {

// 0 is a plain BullMQ queue (the default); N >= 1 a sharded queue of N shards
// (drover/sharded_queue.hpp), each its own hash tag, so that one queue's jobs spread over
// the masters of a Redis Cluster. Both apps must be given the same values: they meet
// only through the queues' names.
struct queue_shards {
  std::size_t ai = 0;         // ai-processing: AI_QUEUE_SHARDS
  std::size_t documents = 0;  // document-processing: DOCUMENT_QUEUE_SHARDS
  std::size_t webhooks = 0;   // webhook-delivery: WEBHOOK_QUEUE_SHARDS

  static constexpr std::size_t max_shards = 1024;

  // Throws drover::error(invalid_argument) naming the setting for a value that is not a
  // whole number from 0 to max_shards.
  static queue_shards from_env();

  // The shards of the queue `name` (one of the three; 0 for any other).
  std::size_t of(std::string_view name) const;

  // What the BullMQ queue `queue_name` is here: shard i of one of the three queues when it
  // is sharded and the name is exactly shard_name's for i, and otherwise a plain queue of
  // that name (the three unsharded among them). Its `logical` is what metrics call
  // `logical_queue`.
  queue_shard locate(std::string_view queue_name) const;
  // The BullMQ queues that `name` stands for: every shard, in order, of one of the three
  // when it is sharded; otherwise the one queue locate() makes of it.
  std::vector<queue_shard> queues_of(std::string_view name) const;

  // On a Redis Cluster a queue's keys must share one slot: a plain queue takes its hash
  // tag from the prefix, and a sharded queue's shards carry their own, which a tagged
  // prefix would override. One prefix therefore serves either plain queues only (tagged,
  // "{bull}") or sharded queues only (untagged, "bull"). Throws
  // drover::error(invalid_argument) saying which settings to change when `prefix` does
  // not suit these queues on the cluster `redis` names; a single Redis takes anything.
  void check_prefix(std::string_view prefix, const redis_options& redis) const;
};

// Whether `prefix` holds a Redis Cluster hash tag: a '{' later closed by '}' with
// something between them (the first such pair is the tag).
bool has_hash_tag(std::string_view prefix);

}  // namespace drover::app
