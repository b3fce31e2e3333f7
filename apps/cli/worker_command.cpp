// worker_command.cpp - `drover worker`: processes the jobs of a queue with a built-in
// processor until SIGINT/SIGTERM, then closes within --shutdown-grace.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include <drover/error.hpp>
#include <drover/sharded_worker.hpp>
#include <drover/dead_letter_queue.hpp>
#include <drover/worker.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "processors.hpp"
#include "sharded_name.hpp"

namespace net = boost::asio;

namespace drover::cli {

namespace {

struct worker_flags {
  common_options common;
  int concurrency = 1;
  int per_shard = 0;  // with --shards: the most one shard runs at once; 0: the whole budget
  std::string processor = "echo";
  std::string name;
  long lock_duration_ms = 30000;
  long stalled_interval_ms = 30000;
  int max_stalled = 1;
  long drain_delay_ms = 5000;
  long limit_max = 0;
  long limit_duration_ms = 0;
  long shutdown_grace_ms = 30000;
  long metrics_points = 0;
  long default_timeout_ms = 0;    // jobs without a timeout of their own; 0: none
  std::string dead_letter_queue;  // where jobs that fail for good are copied; "": nowhere
  long dead_letters_kept = 0;     // the most entries it keeps; 0: all
};

void add_worker_options(CLI::App& w, worker_flags& f) {
  add_common(&w, f.common);
  add_shards_flag(&w, f.common);
  w.add_option("--concurrency,-c", f.concurrency, "jobs run at once (with --shards: by all shards together)")
      ->check(positive<int>())
      ->capture_default_str();
  w.add_option("--per-shard", f.per_shard,
               "with --shards: the most jobs one shard runs at once (1 keeps one key's jobs in order); default: "
               "the whole --concurrency")
      ->check(positive<int>());
  w.add_option(
       "--processor,-p", f.processor,
       "noop, echo, sleep, fail, flaky, progress, cpu, chaos (sleeps data.ms, fails when data.fail) or flow (fails "
       "when data.fail, else answers data.n and its children's values)")
      ->check(one_of(builtin_processor_names()))
      ->capture_default_str();
  w.add_option("--name", f.name, "worker name (processedBy, CLIENT LIST)");
  // At least 100 ms: renewed every half of it, a lock of 1 ms spun a core and was lost.
  w.add_option("--lock-duration", f.lock_duration_ms, "lock duration, ms")
      ->check(duration_ms(100))
      ->capture_default_str();
  w.add_option("--stalled-interval", f.stalled_interval_ms, "stalled check interval, ms")
      ->check(duration_ms(1))
      ->capture_default_str();
  w.add_option("--max-stalled", f.max_stalled, "stalls before a job fails")
      ->check(non_negative<int>())
      ->capture_default_str();
  w.add_option("--drain-delay", f.drain_delay_ms, "longest wait on an empty queue, ms")
      ->check(duration_ms(1))
      ->capture_default_str();
  auto* limit_max =
      w.add_option("--limit-max", f.limit_max, "rate limit: jobs per window (0: none)")->check(non_negative<long>());
  auto* limit_duration =
      w.add_option("--limit-duration", f.limit_duration_ms, "rate limit: window, ms")->check(non_negative<long>());
  w.add_option("--metrics", f.metrics_points, "keep BullMQ's per-minute metrics with this many points (0: off)")
      ->check(non_negative<long>());
  w.add_option("--default-timeout", f.default_timeout_ms,
               "time allowed to a job without a timeout of its own, ms (0: none)")
      ->check(non_negative<long>());
  auto* dead_letters =
      w.add_option("--dead-letter-queue", f.dead_letter_queue,
                   "copy jobs that fail for good to this queue (usually <queue>-dlq; default: none); with --shards "
                   "only <queue>-dlq, which turns on each shard's own, <shard>-dlq");
  w.add_option("--dead-letters-kept", f.dead_letters_kept,
               "the most entries the dead-letter queue keeps, the oldest deleted first (0: all)")
      ->check(non_negative<long>())
      ->capture_default_str();
  w.add_option("--shutdown-grace", f.shutdown_grace_ms, "on SIGTERM/SIGINT, wait this long for running jobs, ms")
      ->check(duration_ms(0))
      ->capture_default_str();
  // A rate limit needs its window; --limit-max 0 (no limit) needs none.
  w.callback([&f, limit_max, limit_duration, dead_letters] {
    // A sharded worker's dead letters go to each shard's own queue whatever the name: one
    // given and ignored left `drover dlq list` on it empty (a new user's review).
    if (f.common.shards > 0 && !f.dead_letter_queue.empty() &&
        f.dead_letter_queue != dead_letter_queue::name_for(f.common.queue)) {
      throw CLI::ValidationError(
          dead_letters->get_name(),
          fmt::format("with --shards each shard has a dead-letter queue of its own, named <shard>-dlq (drover dlq "
                      "list -q '<shard>'; drover queue list shows the shards): give {0}-dlq to turn them on, got '{1}'",
                      f.common.queue, f.dead_letter_queue));
    }
    if (f.limit_max <= 0) return;
    if (!limit_duration->count()) throw CLI::RequiresError(limit_max->get_name(), limit_duration->get_name());
    if (f.limit_duration_ms <= 0) {
      throw CLI::ValidationError(
          limit_duration->get_name(),
          fmt::format("must be a positive integer with --limit-max, got {}", f.limit_duration_ms));
    }
  });
}

// Runs `w` (a worker or a sharded_worker) until SIGINT/SIGTERM, then closes it.
template <class Worker>
int serve_until_signal(net::io_context& io, Worker& w, const worker_flags& c) {
  outlive_a_lost_log_reader();
  w.start();
  spdlog::info("worker of queue {}{} started: processor {}, concurrency {}", c.common.queue,
               c.common.shards > 0 ? fmt::format(" ({} shards)", c.common.shards) : "", c.processor, c.concurrency);
  // A second signal stops at once, as for the apps: the first waited out the grace.
  run_until_signal(io, [&] {
    spdlog::info("closing the worker of queue {} (up to {} ms for running jobs)", c.common.queue, c.shutdown_grace_ms);
    net::co_spawn(io, w.close(std::chrono::milliseconds(c.shutdown_grace_ms)), [&](std::exception_ptr) { io.stop(); });
  });
  spdlog::info("worker of queue {} stopped after {} job(s)", c.common.queue, w.processed());
  return 0;
}

int run_worker(const worker_flags& c) {
  auto proc = builtin_processor(c.processor);
  if (!proc) {
    throw error(errc::invalid_argument, fmt::format("unknown processor '{}' (known: {})", c.processor,
                                                    fmt::join(builtin_processor_names(), ", ")));
  }
  worker_options o;
  o.prefix = c.common.prefix;
  o.redis = c.common.redis();
  o.concurrency = c.concurrency;
  o.name = c.name;
  o.lock_duration = std::chrono::milliseconds(c.lock_duration_ms);
  o.stalled_interval = std::chrono::milliseconds(c.stalled_interval_ms);
  o.max_stalled_count = c.max_stalled;
  o.drain_delay = std::chrono::milliseconds(c.drain_delay_ms);
  o.metrics_max_data_points = c.metrics_points;
  o.default_timeout = std::chrono::milliseconds(c.default_timeout_ms);
  o.dead_letter_queue = c.dead_letter_queue;
  o.dead_letters_kept = c.dead_letters_kept;
  if (c.limit_max > 0) o.limiter = rate_limiter_options{c.limit_max, std::chrono::milliseconds(c.limit_duration_ms)};

  net::io_context io(1);
  if (c.common.shards > 0) {
    warn_on_other_shard_count(c.common, "works");
    sharded_worker w(io.get_executor(), c.common.queue, c.common.shards, std::move(*proc), o, c.per_shard);
    return serve_until_signal(io, w, c);
  }
  worker w(io.get_executor(), c.common.queue, std::move(*proc), o);
  return serve_until_signal(io, w, c);
}

}  // namespace

command worker_command() {
  return make_command<worker_flags>("worker", "process jobs of a queue with a built-in processor", add_worker_options,
                                    run_worker);
}

}  // namespace drover::cli
