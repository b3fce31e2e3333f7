// app_queue.hpp - one of the apps' queues, plain or sharded, behind one handle, so that
// the routes and processors that use it do not care which.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <drover/job.hpp>
#include <drover/job_options.hpp>
#include <drover/queue.hpp>
#include <drover/sharded_queue.hpp>

namespace drover::app {

// A drover::queue (shards 0) or a drover::sharded_queue (shards >= 1) named `name`.
// Every job id it takes and gives is an app id (app_job_id.hpp): on a plain queue the
// job's own id, as before sharding; on a sharded queue "<shard>-<id>". The jobs it
// returns carry that id in job::id. An id that names no shard of a sharded queue is
// answered as a job that does not exist, never with an error.
//
// Thread safety: none; as drover::queue.
class app_queue {
 public:
  // Throws drover::error(invalid_argument) as queue and sharded_queue do (a bad name, a
  // tagged prefix for a sharded queue on a cluster).
  app_queue(boost::asio::any_io_executor ex, std::string name, std::size_t shards, queue_options opts);
  ~app_queue();
  app_queue(const app_queue&) = delete;
  app_queue& operator=(const app_queue&) = delete;

  const std::string& name() const { return name_; }
  // 0 for a plain queue.
  std::size_t shards() const { return shards_; }

  // The app id the job added with the custom id `job_id` (and no key) will have: a
  // sharded queue puts it on the shard of that id, known before it is added.
  std::string id_for_custom(const std::string& job_id) const;

  // Adds a job; the job returned has its app id. `key` (sharded queues only: a plain
  // queue ignores it) picks the shard, as sharded_queue::add.
  boost::asio::awaitable<job> add(std::string name, boost::json::value data, job_options opts = {},
                                  std::optional<std::string> key = std::nullopt);
  // Adds a job on the shard in the same part of Redis Cluster's slots as shard `index` of
  // a queue of `of_shards` shards (shard_name puts shard i of N in the i-th of N equal
  // parts): shard `index` itself when this queue has as many shards. A job that a
  // processor queues for the one it runs then lives on the same Redis node, so that a
  // node's outage stops its own part of the work and no other. A plain queue adds as
  // add() does.
  boost::asio::awaitable<job> add_beside(std::string name, boost::json::value data, job_options opts, std::size_t index,
                                         std::size_t of_shards);
  // The shard add_beside() uses (0 for a plain queue).
  std::size_t shard_beside(std::size_t index, std::size_t of_shards) const;
  // Adds the jobs in one pipeline (a sharded queue: one per shard, each job on a shard as
  // add() without a key would pick); returns them in order, with their app ids. An error
  // concerns every job of the call, as queue::add_bulk.
  boost::asio::awaitable<std::vector<job>> add_bulk(std::vector<new_job> jobs);
  // The shard add() without a key would put a job with these options on (0 for a plain
  // queue); advances the round robin.
  std::size_t pick_shard(const job_options& opts);
  // Adds the jobs in one pipeline on shard `index` (pick_shard's; a plain queue takes 0);
  // returns them in order, with their app ids. A producer that batches per shard is held
  // up by that shard's master alone.
  boost::asio::awaitable<std::vector<job>> add_bulk_to(std::size_t index, std::vector<new_job> jobs);
  // Keeps the ids the queue gives above these app ids (the ones an app recorded) and
  // above every id it gave, each shard above its own (queue::keep_ids_above): after Redis
  // lost its data no recorded id names a second job. Ids that are not BullMQ's counted
  // ones (custom, of no shard of this queue) are passed over.
  void keep_ids_above(const std::vector<std::string>& app_ids);
  boost::asio::awaitable<std::optional<job>> get_job(std::string id);
  boost::asio::awaitable<std::optional<job_state>> get_job_state(std::string id);
  // The job's log lines and their count; none for an unknown id.
  boost::asio::awaitable<std::pair<std::vector<std::string>, std::int64_t>> get_job_logs(std::string id,
                                                                                         std::int64_t start = 0,
                                                                                         std::int64_t end = -1);
  boost::asio::awaitable<cancel_outcome> cancel(std::string id, std::string reason = {});
  // Whether the queue (every shard) is paused; a cheap round trip to Redis.
  boost::asio::awaitable<bool> is_paused();
  // One read of every shard's Redis (each may be another master of a cluster), for a
  // readiness check; throws drover::error when one does not answer.
  boost::asio::awaitable<void> probe();

  void close();

 private:
  // The queue holding the job `id` names and the job's id there; std::nullopt when a
  // sharded queue's id is malformed.
  std::optional<std::pair<queue*, std::string>> locate(const std::string& id);

  std::string name_;
  std::size_t shards_;
  std::unique_ptr<queue> plain_;
  std::unique_ptr<sharded_queue> sharded_;
};

}  // namespace drover::app
