// manual_worker.cpp - manual fetching: each call is one of BullMQ's scripts, through the
// same wrappers the worker uses, and nothing runs between the calls.
//
// Unlike the worker, a failure is the caller's to handle: a Redis error or a refused
// finish (lost lock, another token) is thrown, not retried, as Node's calls reject.
#include "drover/manual_worker.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.hpp"
#include "core/keys.hpp"
#include "core/queue_connection.hpp"
#include "core/retry_decision.hpp"
#include "core/script_errors.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/extend_lock.hpp"
#include "core/scripts/move_to_active.hpp"
#include "core/scripts/move_to_delayed.hpp"
#include "core/scripts/move_to_finished.hpp"
#include "core/scripts/retry_job.hpp"
#include "drover/json.hpp"
#include "redis/command.hpp"
#include "redis/connection.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

struct manual_worker::impl {
  impl(net::any_io_executor ex, std::string queue, worker_options o)
      : opts(std::move(o)),
        keys(opts.prefix, std::move(queue)),
        conn(detail::queue_connection(ex, opts.redis, keys)),
        // Named as a worker's blocking connection, so that getWorkers() lists it.
        blocking(detail::queue_connection(
            ex, opts.redis, keys,
            detail::client_name(opts.prefix, keys.queue(), opts.name.empty() ? "" : ":w:" + opts.name))) {}
  worker_options opts;
  detail::queue_keys keys;
  std::shared_ptr<redis::connection> conn, blocking;
};

namespace {

using clock = std::chrono::steady_clock;

void check_options(const worker_options& o) {
  if (o.lock_duration.count() < 1) throw error(errc::invalid_argument, "lock duration must be positive");
  if (o.max_started_attempts < 0) throw error(errc::invalid_argument, "max started attempts must not be negative");
  if (o.limiter && (o.limiter->max < 1 || o.limiter->duration.count() < 1)) {
    throw error(errc::invalid_argument, "rate limiter needs max >= 1 and a positive duration");
  }
}

// Runs a finishing script (moveToFinished, moveToDelayed, retryJob) and throws the error
// BullMQ raises for a negative code.
net::awaitable<redis::reply> run_finishing(redis::connection& conn, detail::scripts::script_call call,
                                           const std::string& job_id) {
  auto r = co_await detail::run_script(conn, *call.script, std::move(call.args));
  if (auto code = r.as_int(); code && *code < 0 && r.is_integer()) {
    throw detail::script_code_error(*code, job_id, call.script->name, "active");
  }
  co_return r;
}

// Waits on the queue's marker up to `timeout`: a job was added, or a delayed one is due.
net::awaitable<void> wait_on_marker(redis::connection& blocking, const std::string& marker,
                                    std::chrono::milliseconds timeout) {
  redis::command cmd{"BZPOPMIN", marker};
  cmd.push(fmt::format("{:.3f}", static_cast<double>(std::max<std::int64_t>(1, timeout.count())) / 1000.0));
  auto r = co_await blocking.exec(std::move(cmd), timeout + std::chrono::seconds(1));
  redis::expect_no_error(r, "BZPOPMIN " + marker);
}

}  // namespace

manual_worker::manual_worker(net::any_io_executor ex, std::string queue, worker_options opts) {
  detail::check_queue_name(queue);
  check_options(opts);
  impl_ = std::make_unique<impl>(std::move(ex), std::move(queue), std::move(opts));
}

manual_worker::~manual_worker() {
  if (impl_) close();
}

void manual_worker::close() {
  impl_->conn->close();
  impl_->blocking->close();
}

net::awaitable<std::optional<job>> manual_worker::get_next_job(std::string token, std::chrono::milliseconds block) {
  auto& s = *impl_;
  const auto deadline = clock::now() + std::max(block, std::chrono::milliseconds(0));
  while (true) {
    auto call = detail::scripts::move_to_active::of(s.keys, token, s.opts, detail::now_ms());
    auto fetched = co_await detail::scripts::run(*s.conn, std::move(call));
    if (fetched.next) co_return std::move(fetched.next);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    // A rate limit answers at once, as Node's getNextJob does while limited.
    if (left.count() <= 0 || fetched.rate_limit_ttl_ms > 0) co_return std::nullopt;
    auto timeout = left;
    if (fetched.next_delayed_ms > 0) {
      timeout = std::min(
          timeout, std::chrono::milliseconds(std::max<std::int64_t>(1, fetched.next_delayed_ms - detail::now_ms())));
    }
    co_await wait_on_marker(*s.blocking, s.keys.marker, timeout);
  }
}

net::awaitable<std::optional<job>> manual_worker::move_to_completed(const job& j, json::value value, std::string token,
                                                                    bool fetch_next) {
  auto& s = *impl_;
  // The finish fetches the next job itself (the limiter's options travel with it).
  auto finish = detail::scripts::move_to_finished::of(s.keys, j, token, true, drover::serialize_json(value), "",
                                                      fetch_next, s.opts, detail::now_ms());
  auto call = std::move(finish).pack();
  auto r = co_await run_finishing(*s.conn, std::move(call), j.id);
  auto outcome = finish.parse(r);
  co_return outcome.next ? std::move(outcome.next->next) : std::nullopt;
}

net::awaitable<std::optional<job>> manual_worker::move_to_failed(const job& j, std::string reason, std::string token,
                                                                 bool fetch_next, bool unrecoverable) {
  auto& s = *impl_;
  const auto& k = s.keys;
  auto traces = detail::stack_traces_with(j, reason, k.queue(), unrecoverable);
  auto fields = detail::scripts::job_fields({"failedReason", reason, "stacktrace", drover::serialize_json(traces)});
  const auto delay = detail::retry_delay(j, reason, unrecoverable, s.opts, k.queue());
  const auto now = detail::now_ms();
  if (delay && *delay > 0) {
    auto call = detail::scripts::move_to_delayed::of(k, j.id, token, *delay, std::move(fields), now).pack();
    co_await run_finishing(*s.conn, std::move(call), j.id);
  } else if (delay) {
    auto call = detail::scripts::retry_job::of(k, j.id, token, j.opts.lifo.value_or(false), std::move(fields), now);
    auto packed = std::move(call).pack();
    co_await run_finishing(*s.conn, std::move(packed), j.id);
  } else {
    auto finish =
        detail::scripts::move_to_finished::of(k, j, token, false, reason, std::move(fields), fetch_next, s.opts, now);
    auto call = std::move(finish).pack();
    auto r = co_await run_finishing(*s.conn, std::move(call), j.id);
    auto outcome = finish.parse(r);
    co_return outcome.next ? std::move(outcome.next->next) : std::nullopt;
  }
  if (fetch_next) co_return co_await get_next_job(std::move(token));
  co_return std::nullopt;
}

net::awaitable<void> manual_worker::extend_lock(const job& j, std::string token, std::chrono::milliseconds duration) {
  if (duration.count() < 1) throw error(errc::invalid_argument, "a lock extension must be at least 1 ms");
  auto& s = *impl_;
  auto call = detail::scripts::extend_lock::of(s.keys, j.id, std::move(token), duration.count());
  if (!co_await detail::scripts::run(*s.conn, std::move(call))) {
    throw error(errc::lock_missing, fmt::format("Missing lock for job {}. extendLock", j.id));
  }
}

}  // namespace drover
