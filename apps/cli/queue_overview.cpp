// queue_overview.cpp - discovery, then each queue's overview (drover_app/queue_overview.hpp),
// and the table `drover queue list` and `drover top` print.
#include "queue_overview.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli_support.hpp"
#include "text_table.hpp"

namespace net = boost::asio;

namespace drover::cli {

namespace {

std::string rate_cell(const std::optional<std::int64_t>& from_metrics, std::optional<double> measured) {
  if (from_metrics) return fmt::format("{}", *from_metrics);
  if (measured) return fmt::format("{:.0f}", *measured);
  return "-";
}

}  // namespace

overview_reader::overview_reader(net::any_io_executor ex, common_options c)
    : ex_(std::move(ex)), common_(std::move(c)), discovery_(ex_, common_.redis(), common_.prefix) {}

overview_reader::~overview_reader() { close(); }

void overview_reader::close() {
  for (auto& [name, q] : queues_) q->close();
  queues_.clear();
}

net::awaitable<std::vector<queue_overview>> overview_reader::read() {
  auto names = co_await discovery_.names();
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
    auto o = co_await app::read_queue_overview(*q);
    out.push_back(std::move(o));
  }
  co_return app::group_sharded_rows(std::move(out));
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
    if (auto it = rates.find(q.key()); it != rates.end()) {
      done = it->second.completed;
      failed = it->second.failed;
    }
    auto label = q.key();
    if (!q.shard_of.empty()) label = "  " + q.name;
    t.add_row({label, q.paused ? "paused" : "running", fmt::format("{}", q.count("waiting") + q.count("paused")),
               fmt::format("{}", q.count("prioritized")), fmt::format("{}", q.count("delayed")),
               fmt::format("{}", q.count("active")), fmt::format("{}", q.count("completed")),
               fmt::format("{}", q.count("failed")), q.workers ? fmt::format("{}", *q.workers) : std::string("?"),
               q.concurrency > 0 ? fmt::format("{}/{}", q.busy, q.concurrency) : std::string("-"),
               rate_cell(q.completed_per_minute, done), rate_cell(q.failed_per_minute, failed)});
  }
  t.print(out);
}

}  // namespace drover::cli
