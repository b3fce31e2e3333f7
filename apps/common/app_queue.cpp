// app_queue.cpp - a plain or sharded queue behind app ids.
#include "drover_app/app_queue.hpp"

#include <drover/shard_names.hpp>

#include <algorithm>

#include "drover_app/app_job_id.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::app {

app_queue::app_queue(net::any_io_executor ex, std::string name, std::size_t shards, queue_options opts)
    : name_(name), shards_(shards) {
  if (shards == 0) {
    plain_ = std::make_unique<queue>(ex, std::move(name), std::move(opts));
  } else {
    sharded_ = std::make_unique<sharded_queue>(ex, std::move(name), shards, std::move(opts));
  }
}

app_queue::~app_queue() = default;

std::string app_queue::id_for_custom(const std::string& job_id) const {
  if (shards_ == 0) return job_id;
  return sharded_job_id(shard_for_key(job_id, shards_), job_id);
}

std::optional<std::pair<queue*, std::string>> app_queue::locate(const std::string& id) {
  if (plain_) return std::pair<queue*, std::string>{plain_.get(), id};
  auto ref = parse_sharded_job_id(id, shards_);
  if (!ref) return std::nullopt;
  return std::pair<queue*, std::string>{&sharded_->shard(ref->shard), std::move(ref->id)};
}

void app_queue::keep_ids_above(const std::vector<std::string>& app_ids) {
  if (plain_) {
    plain_->keep_ids_above(app_ids);
    return;
  }
  std::vector<std::vector<std::string>> per_shard(shards_);
  for (const auto& app_id : app_ids) {
    if (auto ref = parse_sharded_job_id(app_id, shards_)) per_shard[ref->shard].push_back(std::move(ref->id));
  }
  for (std::size_t i = 0; i < shards_; ++i) sharded_->shard(i).keep_ids_above(per_shard[i]);
}

net::awaitable<job> app_queue::add(std::string name, json::value data, job_options opts,
                                   std::optional<std::string> key) {
  if (plain_) {
    auto add = plain_->add(std::move(name), std::move(data), std::move(opts));
    co_return co_await std::move(add);
  }
  auto add = sharded_->add(std::move(name), std::move(data), std::move(opts), std::move(key));
  auto added = co_await std::move(add);
  added.job.id = sharded_job_id(added.shard, added.job.id);
  co_return std::move(added.job);
}

std::size_t app_queue::shard_beside(std::size_t index, std::size_t of_shards) const {
  if (shards_ == 0 || of_shards == 0) return 0;
  // The shard whose part of the slots holds the middle of the other queue's shard.
  return std::min(shards_ - 1, (2 * index + 1) * shards_ / (2 * of_shards));
}

net::awaitable<job> app_queue::add_beside(std::string name, json::value data, job_options opts, std::size_t index,
                                          std::size_t of_shards) {
  if (plain_) {
    auto add = plain_->add(std::move(name), std::move(data), std::move(opts));
    co_return co_await std::move(add);
  }
  const auto shard = shard_beside(index, of_shards);
  auto add = sharded_->shard(shard).add(std::move(name), std::move(data), std::move(opts));
  auto added = co_await std::move(add);
  added.id = sharded_job_id(shard, added.id);
  co_return added;
}

namespace {

// The jobs a sharded queue added, each with its app id ("<shard>-<id>").
std::vector<job> with_app_ids(std::vector<sharded_job> added) {
  std::vector<job> out;
  out.reserve(added.size());
  for (auto& a : added) {
    a.job.id = sharded_job_id(a.shard, a.job.id);
    out.push_back(std::move(a.job));
  }
  return out;
}

}  // namespace

net::awaitable<std::vector<job>> app_queue::add_bulk(std::vector<new_job> jobs) {
  if (plain_) {
    auto add = plain_->add_bulk(std::move(jobs));
    co_return co_await std::move(add);
  }
  auto add = sharded_->add_bulk(std::move(jobs));
  auto added = co_await std::move(add);
  co_return with_app_ids(std::move(added));
}

std::size_t app_queue::pick_shard(const job_options& opts) {
  return plain_ ? 0 : sharded_->pick_shard(opts, std::nullopt);
}

net::awaitable<std::vector<job>> app_queue::add_bulk_to(std::size_t index, std::vector<new_job> jobs) {
  if (plain_) {
    auto add = plain_->add_bulk(std::move(jobs));
    co_return co_await std::move(add);
  }
  auto add = sharded_->add_bulk_to(index, std::move(jobs));
  std::vector<sharded_job> added;
  try {
    added = co_await std::move(add);
  } catch (bulk_add_error& e) {
    for (auto& j : e.added) {
      if (j) j->id = sharded_job_id(index, j->id);  // the app ids, as with_app_ids gives
    }
    throw;
  }
  co_return with_app_ids(std::move(added));
}

net::awaitable<std::optional<job>> app_queue::get_job(std::string id) {
  auto where = locate(id);
  if (!where) co_return std::nullopt;
  auto get = where->first->get_job(where->second);
  auto j = co_await std::move(get);
  if (j) j->id = std::move(id);
  co_return j;
}

net::awaitable<std::optional<job_state>> app_queue::get_job_state(std::string id) {
  auto where = locate(id);
  if (!where) co_return std::nullopt;
  auto get = where->first->get_job_state(where->second);
  co_return co_await std::move(get);
}

net::awaitable<std::pair<std::vector<std::string>, std::int64_t>> app_queue::get_job_logs(std::string id,
                                                                                          std::int64_t start,
                                                                                          std::int64_t end) {
  auto where = locate(id);
  if (!where) co_return std::pair<std::vector<std::string>, std::int64_t>{};
  auto get = where->first->get_job_logs(where->second, start, end);
  co_return co_await std::move(get);
}

net::awaitable<cancel_outcome> app_queue::cancel(std::string id, std::string reason) {
  auto where = locate(id);
  if (!where) co_return cancel_outcome::not_found;
  auto call = where->first->cancel(where->second, std::move(reason));
  co_return co_await std::move(call);
}

net::awaitable<bool> app_queue::is_paused() {
  if (plain_) {
    auto call = plain_->is_paused();
    co_return co_await std::move(call);
  }
  auto call = sharded_->is_paused();
  co_return co_await std::move(call);
}

net::awaitable<void> app_queue::probe() {
  if (plain_) {
    auto call = plain_->is_paused();
    co_await std::move(call);
    co_return;
  }
  // Not is_paused(): it stops at the first shard that is not paused.
  for (std::size_t s = 0; s < sharded_->shards(); ++s) {
    auto call = sharded_->shard(s).is_paused();
    co_await std::move(call);
  }
}

void app_queue::close() {
  if (plain_) plain_->close();
  if (sharded_) sharded_->close();
}

}  // namespace drover::app
