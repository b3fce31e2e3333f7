// sharded_worker.hpp - a worker of every shard of a sharded queue (sharded_queue.hpp) with
// one concurrency budget.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drover/worker.hpp"

namespace drover {

// One drover::worker per shard sharing one budget of `concurrency` slots (slot_budget.hpp):
// all of it may go to one shard when the others are empty, and when several have work
// they take free slots in turn, first come first served, so a deep shard cannot starve
// the others. A shard with nothing to do holds no slot: it waits on its own shard's
// marker, on the master that owns it. `per_shard` caps what one shard runs at once;
// 1 runs each shard's jobs one after another, which keeps one key's jobs
// (sharded_queue::add with a key) in the order they were added.
//
// A dead-letter queue (worker_options::dead_letter_queue, any non-empty name) is one per
// shard, named dead_letter_queue::name_for(<shard's name>) ("{<name>.<i>}-dlq"): a
// failure and its copy are written by one script, so on a Redis Cluster the copy must be
// in the shard's slot, which only a name carrying the shard's hash tag gives.
//
// Thread safety: none; as drover::worker.
class sharded_worker {
 public:
  // Makes shard `index`'s processor, given the shard's queue name: for a processor that
  // must know its shard (a blocking one is not told its job's queue).
  using shard_processor = std::function<processor(std::size_t index, const std::string& queue)>;

  // Throws drover::error(invalid_argument) as drover::worker and shard_name do, and for
  // per_shard < 0. per_shard 0: a shard may use the whole budget.
  sharded_worker(boost::asio::any_io_executor ex, std::string name, std::size_t shards, processor proc,
                 worker_options opts = {}, int per_shard = 0);
  // Each shard with a processor of its own.
  sharded_worker(boost::asio::any_io_executor ex, std::string name, std::size_t shards, shard_processor make,
                 worker_options opts = {}, int per_shard = 0);
  ~sharded_worker();
  sharded_worker(const sharded_worker&) = delete;
  sharded_worker& operator=(const sharded_worker&) = delete;

  const std::string& name() const;
  std::size_t shards() const;
  // Shard `index`'s worker: its events() (set them before start()), its stats.
  worker& shard(std::size_t index);

  void start();
  // Closes every shard's worker at once, each with `grace`.
  boost::asio::awaitable<void> close(std::chrono::milliseconds grace = std::chrono::seconds(30));

  std::size_t running() const;
  std::uint64_t processed() const;
  // Summed over the shards, but `concurrency`: the budget. Safe to call from any thread.
  worker_stats stats() const;

 private:
  std::string name_;
  std::size_t budget_ = 0;
  std::vector<std::unique_ptr<worker>> workers_;
};

}  // namespace drover
