// sharded_worker.cpp - one worker per shard sharing a concurrency budget, closed together.
#include "drover/sharded_worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "drover/dead_letter_queue.hpp"
#include "drover/shard_names.hpp"

namespace net = boost::asio;

namespace drover {

sharded_worker::sharded_worker(net::any_io_executor ex, std::string name, std::size_t shards, processor proc,
                               worker_options opts, int per_shard)
    : sharded_worker(
          std::move(ex), std::move(name), shards, [proc](std::size_t, const std::string&) { return proc; },
          std::move(opts), per_shard) {}

sharded_worker::sharded_worker(net::any_io_executor ex, std::string name, std::size_t shards, shard_processor make,
                               worker_options opts, int per_shard)
    : name_(std::move(name)) {
  if (opts.concurrency < 1) throw error(errc::invalid_argument, "worker concurrency must be at least 1");
  if (per_shard < 0) throw error(errc::invalid_argument, fmt::format("per_shard must be 0 or more, not {}", per_shard));
  auto names = shard_names(name_, shards);
  budget_ = static_cast<std::size_t>(opts.concurrency);
  opts.shared_slots = slot_budget(budget_);
  if (per_shard > 0) opts.concurrency = std::min(opts.concurrency, per_shard);
  for (std::size_t i = 0; i < shards; ++i) {
    auto o = opts;
    if (!o.dead_letter_queue.empty()) o.dead_letter_queue = dead_letter_queue::name_for(names[i]);
    workers_.push_back(std::make_unique<worker>(ex, names[i], make(i, names[i]), std::move(o)));
  }
}

sharded_worker::~sharded_worker() = default;

const std::string& sharded_worker::name() const { return name_; }
std::size_t sharded_worker::shards() const { return workers_.size(); }

worker& sharded_worker::shard(std::size_t index) {
  if (index >= workers_.size()) {
    throw error(errc::invalid_argument, fmt::format("sharded worker '{}' has no shard {}", name_, index));
  }
  return *workers_[index];
}

void sharded_worker::start() {
  for (auto& w : workers_) w->start();
}

net::awaitable<void> sharded_worker::close(std::chrono::milliseconds grace) {
  // All at once, so that the grace periods run side by side rather than one after another.
  // A cancellation of the caller's coroutine reaches each worker's close (the group passes
  // it on); nothing cancels a close today.
  if (workers_.empty()) co_return;
  auto ex = co_await net::this_coro::executor;
  std::vector<decltype(net::co_spawn(ex, workers_.front()->close(grace), net::deferred))> closes;
  for (auto& w : workers_) closes.push_back(net::co_spawn(ex, w->close(grace), net::deferred));
  auto group = net::experimental::make_parallel_group(std::move(closes));
  auto all_closed = group.async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  auto [order, failures] = co_await std::move(all_closed);
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

std::size_t sharded_worker::running() const {
  std::size_t n = 0;
  for (const auto& w : workers_) n += w->running();
  return n;
}

std::uint64_t sharded_worker::processed() const {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += w->processed();
  return n;
}

worker_stats sharded_worker::stats() const {
  worker_stats total;
  for (const auto& w : workers_) {
    const auto s = w->stats();
    total.completed += s.completed;
    total.failed += s.failed;
    total.running += s.running;
  }
  total.concurrency = budget_;
  return total;
}

}  // namespace drover
