// app_job_id.hpp - the job ids the apps hand out: a job's own id on a plain queue, and
// "<shard>-<id>" on a sharded one, where an id is unique only within its shard.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace drover::app {

// One BullMQ queue of an app queue: the queue itself when it is plain (shards 0), or
// shard `index` of a sharded queue (drover/shard_names.hpp).
struct queue_shard {
  std::string logical;     // "ai-processing"
  std::size_t shards = 0;  // 0: a plain queue
  std::size_t index = 0;

  // The BullMQ queue's name: `logical`, or shard_name(logical, index, shards).
  std::string queue_name() const;
  // The id the apps hand out for this queue's job `id`.
  std::string app_id(std::string_view id) const;
  // The job id within this queue that the app id `app_id` names; std::nullopt when it
  // names a job of another shard, or is malformed (parse_sharded_job_id).
  std::optional<std::string> own_id(std::string_view app_id) const;
};

// A job of a sharded queue: its shard and its id within that shard.
struct sharded_job_ref {
  std::size_t shard = 0;
  std::string id;
  bool operator==(const sharded_job_ref&) const = default;
};

// "<shard>-<id>".
std::string sharded_job_id(std::size_t shard, std::string_view id);

// Reads "<shard>-<id>" strictly: the shard in decimal without a sign or leading zeros and
// below `shards`, then '-', then a non-empty id. std::nullopt for anything else, so that a
// malformed id is "not found", never an error.
std::optional<sharded_job_ref> parse_sharded_job_id(std::string_view text, std::size_t shards);

// The shard index of the queue `queue_name` when it is a shard of `logical`, named as
// shard_name names them ("{<logical>.<index>}" or "{<logical>.<index>.<k>}");
// std::nullopt for any other name (the plain queue `logical` among them).
std::optional<std::size_t> shard_index_of(std::string_view queue_name, std::string_view logical);

// The app id of job `id` of the queue `queue_key` ("<prefix>:<queue>", as a worker's
// job_context gives it) when that queue is `logical` or one of its shards: what a
// processor hands out for the job it runs.
std::string app_job_id_in(std::string_view queue_key, std::string_view logical, std::string_view id);

}  // namespace drover::app
