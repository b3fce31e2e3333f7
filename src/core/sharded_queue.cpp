// sharded_queue.cpp - a logical queue over N shard queues: routing adds, summing counts.
#include "drover/sharded_queue.hpp"

#include <fmt/format.h>

#include <boost/asio/this_coro.hpp>

#include <random>

#include "core/keys.hpp"
#include "core/queue_connection.hpp"
#include "drover/json.hpp"
#include "redis/hash_slot.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace {

void check_prefix_for_shards(const std::string& name, const queue_options& opts) {
  if (opts.redis.cluster.seeds.empty() || !redis::fixed_slot(opts.prefix)) return;
  throw error(errc::invalid_argument,
              fmt::format("sharded queue '{}' cannot use the prefix '{}' on a Redis Cluster: its hash tag would put "
                          "every shard in one slot. Use a prefix without braces; each shard's name carries a tag "
                          "of its own",
                          name, opts.prefix));
}

// The key that pins a job to a shard when the caller gave none: its custom id or its
// deduplication id, which must stay unique, hence in one shard.
std::optional<std::string> implicit_key(const job_options& opts) {
  if (opts.job_id) return opts.job_id;
  if (auto it = opts.deduplication.find("id"); it != opts.deduplication.end()) {
    if (it->value().is_string()) return std::string(it->value().as_string());
    return drover::serialize_json(it->value());
  }
  return std::nullopt;
}

}  // namespace

sharded_queue::sharded_queue(net::any_io_executor ex, std::string name, std::size_t shards, queue_options opts)
    : name_(std::move(name)), redis_(opts.redis) {
  auto names = shard_names(name_, shards);
  check_prefix_for_shards(name_, opts);
  for (auto& n : names) shards_.push_back(std::make_unique<queue>(ex, std::move(n), opts));
  registered_.assign(shards_.size(), false);
  register_tried_.assign(shards_.size(), false);
  next_ = std::random_device{}() % shards;
}

sharded_queue::~sharded_queue() = default;
sharded_queue::sharded_queue(sharded_queue&&) noexcept = default;
sharded_queue& sharded_queue::operator=(sharded_queue&&) noexcept = default;

const std::string& sharded_queue::name() const { return name_; }
std::size_t sharded_queue::shards() const { return shards_.size(); }

queue& sharded_queue::shard(std::size_t index) {
  if (index >= shards_.size()) {
    throw error(errc::invalid_argument, fmt::format("sharded queue '{}' has no shard {}", name_, index));
  }
  return *shards_[index];
}

std::size_t sharded_queue::pick_shard(const job_options& opts, const std::optional<std::string>& key) {
  if (key) return shard_for_key(*key, shards_.size());
  if (auto k = implicit_key(opts)) return shard_for_key(*k, shards_.size());
  const auto s = next_;
  next_ = (next_ + 1) % shards_.size();
  return s;
}

// Node's Queue writes its meta hash when it is made; drover's queue does not, and a shard
// that never got a job would then be missing from discover_queues, and the logical queue
// from group_shards. HSETNX: a value set by anyone else stays.
// The shards no add has used yet, so that `drover queue list` and the dashboard list every
// shard from the first add on. After the add, and never failing it: a shard whose master
// is away must not refuse adds that go to the others (a platform review: one master down
// failed every sharded add of a new producer). Each is tried once per handle; a master
// that is away costs the first add its connect or command timeout.
net::awaitable<void> sharded_queue::register_shards() {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (registered_.at(i) || register_tried_.at(i)) continue;
    register_tried_[i] = true;
    try {
      co_await register_shard(i);
    } catch (const std::exception&) {
    }
  }
}

net::awaitable<void> sharded_queue::register_shard(std::size_t index) {
  if (registered_.at(index)) co_return;
  // A connection for this once: queue keeps its own to itself. On a cluster it goes to
  // the shard's master.
  auto ex = co_await net::this_coro::executor;
  auto& q = *shards_[index];
  detail::queue_keys keys(q.prefix(), q.name());
  auto conn = detail::queue_connection(ex, redis_, keys);
  redis::command set{"HSETNX", keys.meta, "opts.maxLenEvents", "10000"};
  auto r = co_await conn->exec(std::move(set));
  conn->close();
  redis::expect_no_error(r, fmt::format("HSETNX {}", keys.meta));
  registered_[index] = true;
}

net::awaitable<sharded_job> sharded_queue::add(std::string name, json::value data, job_options opts,
                                               std::optional<std::string> key) {
  const auto s = pick_shard(opts, key);
  co_await register_shard(s);
  auto add = shards_[s]->add(std::move(name), std::move(data), std::move(opts));
  auto j = co_await std::move(add);
  co_await register_shards();
  co_return sharded_job{s, shards_[s]->name(), std::move(j)};
}

net::awaitable<std::vector<sharded_job>> sharded_queue::add_bulk(std::vector<new_job> jobs,
                                                                 std::vector<std::string> keys) {
  if (!keys.empty() && keys.size() != jobs.size()) {
    throw error(errc::invalid_argument,
                fmt::format("sharded queue '{}': {} keys for {} jobs", name_, keys.size(), jobs.size()));
  }
  std::vector<std::vector<new_job>> per_shard(shards_.size());
  std::vector<std::vector<std::size_t>> positions(shards_.size());  // where each shard's jobs go back
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::optional<std::string> key;
    if (!keys.empty() && !keys[i].empty()) key = keys[i];
    const auto s = pick_shard(jobs[i].opts, key);
    per_shard[s].push_back(std::move(jobs[i]));
    positions[s].push_back(i);
  }
  std::vector<sharded_job> out(jobs.size());
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    if (per_shard[s].empty()) continue;
    co_await register_shard(s);
    auto add = shards_[s]->add_bulk(std::move(per_shard[s]));
    std::vector<job> added;
    try {
      added = co_await std::move(add);
    } catch (const bulk_add_error& e) {
      // Its outcomes are of this shard's part of the call, and the shards after it were
      // not tried: a plain error, as for any other failure partway.
      throw error(e);
    }
    for (std::size_t k = 0; k < added.size(); ++k) {
      out[positions[s][k]] = sharded_job{s, shards_[s]->name(), std::move(added[k])};
    }
  }
  co_await register_shards();
  co_return out;
}

net::awaitable<std::vector<sharded_job>> sharded_queue::add_bulk_to(std::size_t index, std::vector<new_job> jobs) {
  auto& q = shard(index);
  // This shard's only: another's master away must not hold up this one's adds.
  co_await register_shard(index);
  auto add = q.add_bulk(std::move(jobs));
  auto added = co_await std::move(add);
  std::vector<sharded_job> out;
  out.reserve(added.size());
  for (auto& j : added) out.push_back(sharded_job{index, q.name(), std::move(j)});
  co_return out;
}

net::awaitable<std::optional<sharded_job>> sharded_queue::get_job(std::size_t shard_index, std::string id) {
  auto& q = shard(shard_index);
  auto get = q.get_job(std::move(id));
  auto j = co_await std::move(get);
  if (!j) co_return std::nullopt;
  co_return sharded_job{shard_index, q.name(), std::move(*j)};
}

net::awaitable<std::optional<sharded_job>> sharded_queue::get_job(std::string id) {
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    auto get = get_job(s, id);
    if (auto found = co_await std::move(get)) co_return found;
  }
  co_return std::nullopt;
}

net::awaitable<sharded_job_counts> sharded_queue::get_job_counts(std::vector<std::string> types) {
  sharded_job_counts out;
  for (auto& q : shards_) {
    auto get = q->get_job_counts(types);
    auto counts = co_await std::move(get);
    for (const auto& [state, n] : counts) out.total[state] += n;
    out.shards.push_back(std::move(counts));
  }
  co_return out;
}

net::awaitable<void> sharded_queue::pause() {
  for (auto& q : shards_) co_await q->pause();
}

net::awaitable<void> sharded_queue::resume() {
  for (auto& q : shards_) co_await q->resume();
}

net::awaitable<bool> sharded_queue::is_paused() {
  for (auto& q : shards_) {
    if (!co_await q->is_paused()) co_return false;
  }
  co_return true;
}

net::awaitable<void> sharded_queue::obliterate(bool force) {
  for (auto& q : shards_) co_await q->obliterate(force);
}

void sharded_queue::close() {
  for (auto& q : shards_) q->close();
}

}  // namespace drover
