// rule_readings.cpp - what each kind of alert rule reads from its queue (alert_evaluator::
// read): a sharded queue's shards read one by one and judged together.
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <drover/clock.hpp>
#include <drover/dead_letter_queue.hpp>

#include "workers/alerts/alert_evaluator.hpp"
#include "workers/alerts/spoken_duration.hpp"

namespace net = boost::asio;
using steady = std::chrono::steady_clock;

namespace drover::workers {

namespace {

// ", over its 3 shards" after a reading of a rule that names a sharded queue; nothing
// after one of a single queue (a plain one, or one shard named by its own name).
std::string over(const alert_rule& r, const std::vector<app::queue_shard>& queues) {
  if (queues.front().queue_name() == r.queue) return {};
  return fmt::format(", over its {} shard{}", queues.size(), queues.size() == 1 ? "" : "s");
}

}  // namespace

net::awaitable<alert_evaluator::reading> alert_evaluator::read(const alert_rule& r, rule_state& st) {
  reading out;
  const auto now = steady::now();
  // Keeps the samples of the window, plus the newest one before it as the baseline.
  auto keep_window = [&](double a, double b) {
    st.samples.push_back(sample{now, a, b});
    auto start = now - r.window;
    auto first_inside =
        std::find_if(st.samples.begin(), st.samples.end(), [&](const sample& s) { return s.at >= start; });
    if (first_inside != st.samples.begin()) st.samples.erase(st.samples.begin(), first_inside - 1);
    return st.samples.front();
  };
  auto held_for = [&](bool raw) {
    if (!raw) {
      st.breached_since.reset();
      return false;
    }
    if (!st.breached_since) st.breached_since = now;
    const bool held = now - *st.breached_since >= r.for_duration;
    out.conclusive = held;  // breached, but not for long enough yet: not over either
    return held;
  };
  // Each reading sums over the rule's queues: its shards when it names a sharded queue.
  const auto& queues = st.queues;
  switch (r.kind) {
    case alert_kind::failure_rate: {
      double done = 0, failed = 0;
      for (const auto& where : queues) {
        auto& q = queue_for(where.queue_name());
        std::string completed_kind = "completed", failed_kind = "failed";
        auto completed_here = co_await q.get_metrics(std::move(completed_kind), 0, 0);
        auto failed_here = co_await q.get_metrics(std::move(failed_kind), 0, 0);
        done += static_cast<double>(completed_here.count);
        failed += static_cast<double>(failed_here.count);
      }
      auto base = keep_window(done, failed);
      const double d_done = done - base.a;
      const double d_failed = failed - base.b;
      const double total = d_done + d_failed;
      out.value = total > 0 ? d_failed / total : 0;
      out.breached = total >= static_cast<double>(r.min_jobs) && out.value > r.threshold;
      // Counted from this process's first reading: until it covers the window, a quiet
      // reading may only be a short one.
      out.conclusive = out.breached || now - base.at >= r.window;
      out.detail = fmt::format("{:g} of {:g} jobs failed in the last {} ({:.0f}%, threshold {:.0f}%){}", d_failed,
                               total, spoken(r.window), out.value * 100, r.threshold * 100, over(r, queues));
      break;
    }
    case alert_kind::waiting: {
      for (const auto& where : queues) {
        auto& q = queue_for(where.queue_name());
        std::vector<std::string> states{"waiting", "prioritized"};
        auto counts = co_await q.get_job_counts(std::move(states));
        out.value += static_cast<double>(counts["waiting"] + counts["prioritized"]);
      }
      out.breached = held_for(out.value > r.threshold);
      out.detail = fmt::format("{:g} jobs waiting{} (threshold {:g}{})", out.value, over(r, queues), r.threshold,
                               r.for_duration.count() ? ", for " + spoken(r.for_duration) : std::string());
      break;
    }
    case alert_kind::stalled: {
      std::string ids;
      for (const auto& where : queues) {
        const auto& watch = stalls_.at(where.queue_name());
        if (!watch->primed) throw std::runtime_error("the stalls before this start are still being read");
        auto& seen = watch->seen;
        while (!seen.empty() && seen.front().first < now - r.window) seen.pop_front();
        out.value += static_cast<double>(seen.size());
        for (const auto& [at, id] : seen) ids += (ids.empty() ? "" : ", ") + id;
      }
      out.breached = out.value > 0;
      out.detail = fmt::format("{:g} job(s) stalled in the last {}{}{}{}", out.value, spoken(r.window), over(r, queues),
                               ids.empty() ? "" : ": ", ids);
      break;
    }
    case alert_kind::dead_letter_growing: {
      // Entries added in the window, by their own timestamps: the queue's size stops
      // growing at DEAD_LETTERS_KEPT, where each new entry trims the oldest, and a rule
      // that compared sizes went blind there for good. The newest `newest_read` are read.
      constexpr std::int64_t newest_read = 100;
      const std::int64_t since =
          drover::now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(r.window).count();
      double added = 0;
      bool more = false;
      for (const auto& where : queues) {
        auto& dlq = queue_for(dead_letter_queue::name_for(where.queue_name()));
        std::vector<std::string> entry_states{"waiting", "paused"};
        auto newest = co_await dlq.get_jobs(std::move(entry_states), 0, newest_read - 1, false);
        std::int64_t recent = 0;
        for (const auto& entry : newest) recent += entry.timestamp >= since ? 1 : 0;
        added += static_cast<double>(recent);
        more = more || recent == newest_read;
      }
      out.value = added;
      out.breached = added > 0;
      const auto which = queues.size() == 1 && queues.front().queue_name() == r.queue
                             ? "dead-letter queue " + dead_letter_queue::name_for(r.queue)
                             : fmt::format("the dead-letter queues of its {} shard(s)", queues.size());
      out.detail = fmt::format("{} gained {}{:g} job(s) in the last {}", which, more ? "at least " : "", added,
                               spoken(r.window));
      break;
    }
    case alert_kind::no_worker: {
      // A shard without a worker is a queue whose jobs wait for ever, whatever the others have.
      std::optional<std::size_t> fewest;
      std::string bare;
      for (const auto& where : queues) {
        auto& q = queue_for(where.queue_name());
        auto workers = co_await q.get_workers();
        fewest = std::min(fewest.value_or(workers.size()), workers.size());
        if (workers.empty()) bare += (bare.empty() ? "" : ", ") + where.queue_name();
      }
      out.value = static_cast<double>(fewest.value_or(0));
      out.breached = held_for(!bare.empty());
      const auto shards = over(r, queues);
      if (shards.empty()) {
        out.detail = bare.empty() ? fmt::format("{:g} worker(s) connected", out.value)
                                  : fmt::format("no worker connected to queue {}", r.queue);
      } else {
        out.detail = bare.empty() ? fmt::format("at least {:g} worker(s) connected to each shard{}", out.value, shards)
                                  : fmt::format("no worker connected to {}{}", bare, shards);
      }
      break;
    }
  }
  co_return out;
}

}  // namespace drover::workers
