// sharded_queue.hpp - one logical queue spread over N BullMQ queues (its shards), so that
// a hot queue uses every master of a Redis Cluster.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drover/job.hpp"
#include "drover/job_options.hpp"
#include "drover/queue.hpp"
#include "drover/shard_names.hpp"

namespace drover {

// A job added to a sharded queue, with the shard that holds it: a job id is unique only
// within its shard, so (shard, id) is what names it.
struct sharded_job {
  std::size_t shard = 0;
  std::string queue{};  // the shard's queue name
  drover::job job{};
};

// Counts per state of the logical queue (the shards' summed) and of each shard.
struct sharded_job_counts {
  std::map<std::string, std::int64_t> total{};
  std::vector<std::map<std::string, std::int64_t>> shards{};  // by shard index
};

// The producer and admin side of a sharded queue: one drover::queue per shard
// (shard_names.hpp), each a normal BullMQ queue that Node's BullMQ can also open.
//
// Where add() puts a job: on the shard of `key` when one is given (shard_for_key), so that
// one key's jobs stay in one shard and are taken in the order they were added (a worker
// with one slot per shard also runs them one after another);
// else on the shard of the job's custom jobId or deduplication id, when it has one, so
// that those stay unique; else on the next shard round robin, starting at a random shard
// so that short-lived producers do not all begin with shard 0.
//
// On a Redis Cluster the prefix must carry no hash tag (the shards' names do: a tag in
// the prefix would put every shard in one slot); the constructor refuses one. On a single
// Redis the shards are just N queues.
//
// Thread safety: none; as drover::queue.
class sharded_queue {
 public:
  // Throws drover::error(invalid_argument) for a bad name (shard_name), shards < 1, or a
  // tagged prefix on a cluster.
  sharded_queue(boost::asio::any_io_executor ex, std::string name, std::size_t shards, queue_options opts = {});
  ~sharded_queue();
  sharded_queue(sharded_queue&&) noexcept;
  sharded_queue& operator=(sharded_queue&&) noexcept;

  const std::string& name() const;
  std::size_t shards() const;
  // Shard `index`'s queue, for everything the sharded handle does not offer.
  queue& shard(std::size_t index);
  // The shard add() would use for this job (advances the round robin when it uses it).
  std::size_t pick_shard(const job_options& opts, const std::optional<std::string>& key);

  boost::asio::awaitable<sharded_job> add(std::string name, boost::json::value data, job_options opts = {},
                                          std::optional<std::string> key = std::nullopt);
  // Adds many jobs, one pipeline per shard; returns them in the same order. `keys` is
  // empty or gives each job's key (an empty string: none). Shard by shard: when it throws,
  // the shards before the failing one have stored their jobs (and the failing one may
  // have, when its reply was lost), so a retry adds them again unless they carry a jobId
  // or a deduplication id. add_bulk_to, per shard, fails one shard's batch alone.
  boost::asio::awaitable<std::vector<sharded_job>> add_bulk(std::vector<new_job> jobs,
                                                            std::vector<std::string> keys = {});
  // Adds many jobs to shard `index` (pick_shard's), in one pipeline: a producer that
  // batches per shard is held up by that shard's master alone, and a batch that fails
  // wrote nothing on any other shard. Throws error(invalid_argument) for an index out of
  // range, and bulk_add_error as queue::add_bulk does (its jobs' ids the shard's own).
  boost::asio::awaitable<std::vector<sharded_job>> add_bulk_to(std::size_t index, std::vector<new_job> jobs);

  // The job `id` of shard `shard`; std::nullopt when there is none.
  boost::asio::awaitable<std::optional<sharded_job>> get_job(std::size_t shard, std::string id);
  // Looks in every shard, in order; the first found (ids are unique per shard only).
  boost::asio::awaitable<std::optional<sharded_job>> get_job(std::string id);
  // As queue::get_job_counts, summed over the shards and per shard.
  boost::asio::awaitable<sharded_job_counts> get_job_counts(std::vector<std::string> types = {});

  boost::asio::awaitable<void> pause();
  boost::asio::awaitable<void> resume();
  // Whether every shard is paused.
  boost::asio::awaitable<bool> is_paused();
  // queue::obliterate on every shard.
  boost::asio::awaitable<void> obliterate(bool force = false);

  void close();

 private:
  std::string name_;
  redis_options redis_;  // for register_shards
  std::vector<std::unique_ptr<queue>> shards_;
  std::size_t next_ = 0;
  std::vector<bool> registered_;      // by shard: its meta hash written (register_shard)
  std::vector<bool> register_tried_;  // by shard: register_shards tried it (once per handle)
  boost::asio::awaitable<void> register_shards();
  boost::asio::awaitable<void> register_shard(std::size_t index);
};

}  // namespace drover
