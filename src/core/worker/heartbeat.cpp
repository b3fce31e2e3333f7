// heartbeat.cpp - a drover worker reports itself to the queue's status hash, so that
// dashboards see its concurrency and busy slots (CLIENT LIST cannot say them). The
// report's format is worker_status (src/core/worker_heartbeat.cpp).
#include "core/worker/heartbeat.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>

#include "core/clock.hpp"
#include "core/worker_heartbeat.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::detail {

namespace {

// Heartbeats between two prunings of the stale reports.
constexpr std::uint64_t prune_every = 12;

std::string host_name() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "unknown";
  return buf.data();
}

}  // namespace

worker_status heartbeat::status() const {
  const auto& o = state_->opts;
  worker_status s;
  s.id = state_->id;
  s.name = o.name;
  s.host = host_name();
  s.pid = static_cast<std::int64_t>(getpid());
  s.concurrency = o.concurrency;
  s.busy = static_cast<std::int64_t>(state_->running.size());
  s.completed = runner_->completed();
  s.failed = runner_->failed();
  s.started_at = started_at_ms_;
  s.updated_at = now_ms();
  s.heartbeat_ms = o.heartbeat_interval.count();
  return s;
}

net::awaitable<void> heartbeat::run(std::int64_t started_at_ms) {
  auto self = shared_from_this();
  started_at_ms_ = started_at_ms;
  auto& st = *state_;
  const auto& key = st.keys.worker_statuses;
  // The hash outlives its last worker by a minute at most.
  const auto keep = std::max<std::int64_t>(60000, 4 * st.opts.heartbeat_interval.count());
  bool warned = false;
  std::uint64_t beats = 0;
  do {
    auto report = drover::serialize_json(status().to_json());
    std::vector<redis::command> cmds;
    cmds.push_back(redis::command{"HSET", key, st.id, std::move(report)});
    cmds.push_back(redis::command{"PEXPIRE", key}.push(keep));
    try {
      co_await st.conn->exec(std::move(cmds));
      warned = false;
      // The reports of workers that died without saying goodbye, about once a minute:
      // the live ones keep the hash from expiring, and only readers of the reports
      // pruned it (a retention review: a field per crash of a Workers app that kept
      // restarting beside a healthy one).
      if (beats++ % prune_every == 0) {
        redis::command read{"HGETALL", key};
        auto all = co_await st.conn->exec(std::move(read));
        auto reports = read_worker_reports(all, now_ms());
        if (!reports.stale.empty()) {
          redis::command forget{"HDEL", key};
          for (auto& f : reports.stale) forget.push(std::move(f));
          co_await st.conn->exec(std::move(forget));
        }
      }
    } catch (const error& e) {
      // The fetcher reports Redis failures; one line here is enough.
      if (!warned) spdlog::debug("queue {}: cannot write the worker report: {}", st.keys.queue(), e.what());
      warned = true;
    }
  } while (co_await st.stop.sleep(st.opts.heartbeat_interval));
}

net::awaitable<void> heartbeat::forget() {
  const auto& st = *state_;
  if (st.opts.heartbeat_interval.count() <= 0) co_return;
  try {
    redis::command forget{"HDEL", st.keys.worker_statuses, st.id};
    co_await st.conn->exec(std::move(forget));
  } catch (const error&) {
    // Readers drop the report once it is stale.
  }
}

}  // namespace drover::detail
