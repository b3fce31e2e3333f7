// queue_overview.cpp - one queue's counts, paused, workers and newest metrics; sharded
// queues grouped into a logical row and its shards'.
#include "drover_app/queue_overview.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <string_view>
#include <tuple>

#include <drover/error.hpp>
#include <drover/shard_names.hpp>
#include <drover_app/clock.hpp>

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::app {

std::int64_t last_whole_minute(const queue_metrics& m, std::int64_t now_ms) {
  constexpr std::int64_t minute = 60000;
  const std::int64_t newest = m.data.empty() ? 0 : m.data.front();
  if (m.prev_ts <= 0) return newest;
  const auto last_counted = m.prev_ts / minute;
  const auto now = now_ms / minute;
  if (now <= last_counted) return newest;                                                 // that minute is still going
  if (now == last_counted + 1) return std::max<std::int64_t>(0, m.count - m.prev_count);  // it just ended
  return 0;                                                                               // nothing counted since
}

namespace {

std::optional<std::int64_t> add_optional(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return *a + *b;
}

json::value optional_json(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

// The newest minute of one metrics type; std::nullopt when none is kept.
net::awaitable<std::optional<std::int64_t>> newest_minute(queue& q, const char* type) {
  std::string name = type;  // named: no converted temporaries in a co_await (GCC 12)
  auto m = co_await q.get_metrics(std::move(name), 0, 0);
  if (m.data.empty() && m.prev_ts <= 0) co_return std::nullopt;  // no metrics kept
  co_return last_whole_minute(m, now_ms());
}

queue_overview sum_of_shards(const sharded_queue_info& info, std::map<std::string, queue_overview>& by_name) {
  queue_overview sum;
  sum.name = info.name;
  sum.shards = info.shards;
  sum.paused = true;
  for (const auto& shard : info.shards) {
    const auto& o = by_name[shard];
    for (const auto& [state, n] : o.counts) sum.counts[state] += n;
    sum.paused = sum.paused && o.paused;
    // A sharded worker (drover's, the Workers app's) serves every shard from one budget
    // of slots and reports it on each: summed, a budget of 5 over 2 shards read 10 (an
    // operator's review). The largest shard's is the logical queue's.
    sum.workers = sum.workers && o.workers ? std::optional(std::max(*sum.workers, *o.workers)) : std::nullopt;
    sum.busy += o.busy;
    sum.concurrency = std::max(sum.concurrency, o.concurrency);
    sum.completed_per_minute = add_optional(sum.completed_per_minute, o.completed_per_minute);
    sum.failed_per_minute = add_optional(sum.failed_per_minute, o.failed_per_minute);
  }
  return sum;
}

}  // namespace

std::int64_t queue_overview::count(const std::string& state) const {
  auto it = counts.find(state);
  return it == counts.end() ? 0 : it->second;
}

std::string queue_overview::key() const {
  if (shards.empty()) return name;
  return name + " (" + std::to_string(shards.size()) + " shards)";
}

json::object queue_overview::to_json() const {
  json::object c;
  for (const auto& [k, v] : counts) c[k] = v;
  json::object o{{"name", name},
                 {"paused", paused},
                 {"counts", std::move(c)},
                 {"workers", workers ? json::value(*workers) : json::value(nullptr)},
                 {"busy", busy},
                 {"concurrency", concurrency},
                 {"completedPerMinute", optional_json(completed_per_minute)},
                 {"failedPerMinute", optional_json(failed_per_minute)}};
  if (!shards.empty()) o["shards"] = json::array(shards.begin(), shards.end());
  if (!shard_of.empty()) o["shardOf"] = shard_of;
  return o;
}

net::awaitable<std::optional<std::vector<worker_client>>> listed_workers(queue& q) {
  try {
    auto clients = co_await q.get_workers();
    co_return clients;
  } catch (const error& e) {
    if (!e.is(errc::redis_error) || std::string_view(e.what()).find("NOPERM") == std::string_view::npos) throw;
  }
  co_return std::nullopt;
}

net::awaitable<queue_overview> read_queue_overview(queue& q) {
  queue_overview o;
  o.name = q.name();
  o.counts = co_await q.get_job_counts();
  o.paused = co_await q.is_paused();
  auto listing = listed_workers(q);  // named: GCC 12 and temporaries in co_await
  auto clients = co_await std::move(listing);
  o.workers = clients ? std::optional<std::size_t>(clients->size()) : std::nullopt;
  auto statuses = co_await q.get_worker_statuses();
  for (const auto& s : statuses) {
    o.busy += s.busy;
    o.concurrency += s.concurrency;
  }
  o.completed_per_minute = co_await newest_minute(q, "completed");
  o.failed_per_minute = co_await newest_minute(q, "failed");
  // BullMQ makes a type's metrics key at the first job of that type: a queue whose workers
  // keep metrics and that never failed a job has no "failed" key, and failed none (it
  // read null, "no metrics kept", on every healthy queue: a scale-out review).
  if (o.completed_per_minute && !o.failed_per_minute) o.failed_per_minute = 0;
  if (o.failed_per_minute && !o.completed_per_minute) o.completed_per_minute = 0;
  co_return o;
}

std::vector<queue_overview> group_sharded_rows(std::vector<queue_overview> rows) {
  std::vector<std::string> names;
  for (const auto& r : rows) names.push_back(r.name);
  auto grouped = group_shards(names);
  if (grouped.sharded.empty()) return rows;
  std::map<std::string, queue_overview> by_name;
  for (auto& r : rows) by_name[r.name] = std::move(r);
  // (name, sharded info or nullptr for a plain queue): a plain queue may share its name
  // with a logical one, and comes first.
  std::vector<std::tuple<std::string, bool, const sharded_queue_info*>> order;
  for (const auto& p : grouped.plain) order.emplace_back(p, false, nullptr);
  for (const auto& s : grouped.sharded) order.emplace_back(s.name, true, &s);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<queue_overview> out;
  for (const auto& [name, sharded, info] : order) {
    if (!sharded) {
      out.push_back(std::move(by_name[name]));
      continue;
    }
    out.push_back(sum_of_shards(*info, by_name));
    for (const auto& shard : info->shards) {
      out.push_back(std::move(by_name[shard]));
      out.back().shard_of = name;
    }
  }
  return out;
}

}  // namespace drover::app
