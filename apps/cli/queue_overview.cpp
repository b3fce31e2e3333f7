// queue_overview.cpp - discovery, then per queue: counts, paused, CLIENT LIST workers,
// the drover workers' heartbeats and the newest minute of the metrics.
#include "queue_overview.hpp"

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>

#include <drover/discovery.hpp>
#include <drover/shard_names.hpp>

#include "cli_support.hpp"
#include "text_table.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

std::optional<std::int64_t> add_optional(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return *a + *b;
}

// The rows with a row per sharded queue, summing its shards', followed by its shards.
std::vector<queue_overview> with_sharded_rows(std::vector<queue_overview> rows) {
  std::vector<std::string> names;
  for (const auto& r : rows) names.push_back(r.name);
  auto grouped = group_shards(names);
  if (grouped.sharded.empty()) return rows;
  std::map<std::string, queue_overview> by_name;
  for (auto& r : rows) by_name[r.name] = std::move(r);
  std::map<std::string, const sharded_queue_info*> order;  // by name: plain ones map to nullptr
  for (const auto& p : grouped.plain) order[p] = nullptr;
  for (const auto& s : grouped.sharded) order[s.name] = &s;
  std::vector<queue_overview> out;
  for (const auto& [name, info] : order) {
    if (!info) {
      out.push_back(std::move(by_name[name]));
      continue;
    }
    queue_overview sum;
    sum.name = name;
    sum.shards = info->shards;
    sum.paused = true;
    for (const auto& shard : info->shards) {
      const auto& o = by_name[shard];
      for (const auto& [state, n] : o.counts) sum.counts[state] += n;
      sum.paused = sum.paused && o.paused;
      sum.workers += o.workers;
      sum.busy += o.busy;
      sum.concurrency += o.concurrency;
      sum.completed_per_minute = add_optional(sum.completed_per_minute, o.completed_per_minute);
      sum.failed_per_minute = add_optional(sum.failed_per_minute, o.failed_per_minute);
    }
    out.push_back(std::move(sum));
    for (const auto& shard : info->shards) {
      out.push_back(std::move(by_name[shard]));
      out.back().shard_of = name;
    }
  }
  return out;
}

json::value optional_json(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

// The newest minute of one metrics type; std::nullopt when none is kept.
net::awaitable<std::optional<std::int64_t>> newest_minute(queue& q, const char* type) {
  std::string name = type;  // named: no converted temporaries in a co_await (GCC 12)
  auto m = co_await q.get_metrics(std::move(name), 0, 0);
  if (m.data.empty()) co_return std::nullopt;
  co_return m.data.front();
}

std::string rate_cell(const std::optional<std::int64_t>& from_metrics, std::optional<double> measured) {
  if (from_metrics) return fmt::format("{}", *from_metrics);
  if (measured) return fmt::format("{:.0f}", *measured);
  return "-";
}

}  // namespace

std::int64_t queue_overview::count(const std::string& state) const {
  auto it = counts.find(state);
  return it == counts.end() ? 0 : it->second;
}

json::object queue_overview::to_json() const {
  json::object c;
  for (const auto& [k, v] : counts) c[k] = v;
  json::object o{{"name", name},
                 {"paused", paused},
                 {"counts", std::move(c)},
                 {"workers", workers},
                 {"busy", busy},
                 {"concurrency", concurrency},
                 {"completedPerMinute", optional_json(completed_per_minute)},
                 {"failedPerMinute", optional_json(failed_per_minute)}};
  if (!shards.empty()) o["shards"] = json::array(shards.begin(), shards.end());
  if (!shard_of.empty()) o["shardOf"] = shard_of;
  return o;
}

overview_reader::overview_reader(net::any_io_executor ex, common_options c)
    : ex_(std::move(ex)), common_(std::move(c)) {}

overview_reader::~overview_reader() { close(); }

void overview_reader::close() {
  for (auto& [name, q] : queues_) q->close();
  queues_.clear();
}

net::awaitable<std::vector<queue_overview>> overview_reader::read() {
  auto names = co_await discover_queues(ex_, common_.redis(), common_.prefix);
  // Forget the queues that are gone (obliterated), keep the others' connections.
  for (auto it = queues_.begin(); it != queues_.end();) {
    if (std::find(names.begin(), names.end(), it->first) == names.end()) {
      it->second->close();
      it = queues_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<queue_overview> out;
  for (const auto& name : names) {
    auto& q = queues_[name];
    if (!q) {
      common_options c = common_;
      c.queue = name;
      q = std::make_unique<queue>(ex_, name, queue_opts(c));
    }
    queue_overview o;
    o.name = name;
    o.counts = co_await q->get_job_counts();
    o.paused = co_await q->is_paused();
    auto clients = co_await q->get_workers();
    o.workers = clients.size();
    auto statuses = co_await q->get_worker_statuses();
    for (const auto& s : statuses) {
      o.busy += s.busy;
      o.concurrency += s.concurrency;
    }
    o.completed_per_minute = co_await newest_minute(*q, "completed");
    o.failed_per_minute = co_await newest_minute(*q, "failed");
    out.push_back(std::move(o));
  }
  co_return with_sharded_rows(std::move(out));
}

void print_overview_table(std::ostream& out, const std::vector<queue_overview>& queues,
                          const std::map<std::string, measured_rate>& rates) {
  using a = text_table::align;
  text_table t({"QUEUE", "STATUS", "WAITING", "PRIORITIZED", "DELAYED", "ACTIVE", "COMPLETED", "FAILED", "WORKERS",
                "BUSY", "DONE/MIN", "FAILED/MIN"},
               {a::left, a::left, a::right, a::right, a::right, a::right, a::right, a::right, a::right, a::right,
                a::right, a::right});
  for (const auto& q : queues) {
    std::optional<double> done, failed;
    if (auto it = rates.find(q.name); it != rates.end()) {
      done = it->second.completed;
      failed = it->second.failed;
    }
    auto label = q.shards.empty() ? q.name : fmt::format("{} ({} shards)", q.name, q.shards.size());
    if (!q.shard_of.empty()) label = "  " + q.name;
    t.add_row({label, q.paused ? "paused" : "running", fmt::format("{}", q.count("waiting") + q.count("paused")),
               fmt::format("{}", q.count("prioritized")), fmt::format("{}", q.count("delayed")),
               fmt::format("{}", q.count("active")), fmt::format("{}", q.count("completed")),
               fmt::format("{}", q.count("failed")), fmt::format("{}", q.workers),
               q.concurrency > 0 ? fmt::format("{}/{}", q.busy, q.concurrency) : std::string("-"),
               rate_cell(q.completed_per_minute, done), rate_cell(q.failed_per_minute, failed)});
  }
  t.print(out);
}

}  // namespace drover::cli
