// sharded_worker.hpp - a worker of every shard of a sharded queue (sharded_queue.hpp) with
// one concurrency budget.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drover/worker.hpp"

namespace drover {

// One drover::worker per shard, the budget split between them: with concurrency C over N
// shards, each shard gets C / N slots and the first C % N one more, so every shard is
// served in every moment and none can starve the others however full it is. Each shard
// needs at least one slot: a budget below N is raised to N. Each shard's worker blocks on
// its own shard's marker, on the master that owns it.
//
// A dead-letter queue (worker_options::dead_letter_queue, any non-empty name) is one per
// shard, named dead_letter_queue::name_for(<shard's name>) ("{<name>.<i>}-dlq"): a
// failure and its copy are written by one script, so on a Redis Cluster the copy must be
// in the shard's slot, which only a name carrying the shard's hash tag gives.
//
// Thread safety: none; as drover::worker.
class sharded_worker {
 public:
  // Throws drover::error(invalid_argument) as drover::worker and shard_name do.
  sharded_worker(boost::asio::any_io_executor ex, std::string name, std::size_t shards, processor proc,
                 worker_options opts = {});
  ~sharded_worker();
  sharded_worker(const sharded_worker&) = delete;
  sharded_worker& operator=(const sharded_worker&) = delete;

  const std::string& name() const;
  std::size_t shards() const;
  // Shard `index`'s worker: its events() (set them before start()), its stats.
  worker& shard(std::size_t index);
  // The slots each shard was given, by shard: the budget split.
  static std::vector<int> split_concurrency(int concurrency, std::size_t shards);

  void start();
  // Closes every shard's worker at once, each with `grace`.
  boost::asio::awaitable<void> close(std::chrono::milliseconds grace = std::chrono::seconds(30));

  std::size_t running() const;
  std::uint64_t processed() const;
  // Summed over the shards. Safe to call from any thread.
  worker_stats stats() const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<worker>> workers_;
};

}  // namespace drover
