// fetcher.cpp - takes jobs off the queue while the worker has free slots.
//
// It waits for work as BullMQ's worker does: after a fetch finds nothing it blocks
// on the queue's marker (BZPOPMIN) until a producer signals a new job or the next
// delayed job is due, instead of polling.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/msgpack.hpp"
#include "core/clock.hpp"
#include "core/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

constexpr std::chrono::milliseconds max_block{10000};         // BullMQ's cap on one marker wait
constexpr std::chrono::milliseconds max_rate_limit_wait{30000}; // BullMQ's maximumRateLimitDelay
constexpr std::chrono::milliseconds max_error_backoff{5000};

}  // namespace

net::awaitable<void> worker::impl::fetch_loop() {
  auto self = shared_from_this();
  bool failed = false;
  while (!closing) {
    if (running.size() >= static_cast<std::size_t>(opts.concurrency)) {
      // Every finished job wakes us (wake() cancels the timer).
      wakeup.expires_at(clock::time_point::max());
      boost::system::error_code ec;
      co_await wakeup.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    try {
      if (clock::now() < rate_limited_until) {
        co_await sleep(std::chrono::duration_cast<std::chrono::milliseconds>(rate_limited_until - clock::now()));
        continue;
      }
      if (drained) {
        co_await wait_for_job();
        drained = false;
        continue;
      }
      auto token = next_token();
      auto j = co_await move_to_active(token);
      error_backoff = {};
      if (j) {
        running[j->id] = running_job{token, clock::now()};
        note_running();
        // As Node's worker does, before the job runs: its scheduler's next job.
        if (j->repeat_job_key) co_await schedule_next_iteration(*j);
        net::co_spawn(ex, run_job(std::move(*j), token), [self](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("queue {}: job runner failed: {}", self->keys.queue(), ex.what());
          }
        });
      }
    } catch (const error& e) {
      if (closing) break;
      // Redis is away: back off, then try again; the connection reconnects by itself.
      error_backoff = std::min(max_error_backoff, std::max(std::chrono::milliseconds(100), error_backoff * 2));
      if (is_redis_failure(e)) {
        spdlog::warn("queue {}: {}; retrying in {} ms", keys.queue(), e.what(), error_backoff.count());
      } else {
        spdlog::error("queue {}: fetching failed: {}", keys.queue(), e.what());
      }
      failed = true;
    }
    if (failed) {
      failed = false;
      co_await sleep(error_backoff);
    }
  }
}

// Blocks on the marker until a job may be ready, the next delayed job is due, or
// drain_delay passes. Scores: 0 means "a job is ready", any other score is the time
// (ms) when a delayed job becomes due.
net::awaitable<void> worker::impl::wait_for_job() {
  while (!closing) {
    auto now = detail::now_ms();
    std::chrono::milliseconds timeout = opts.drain_delay;
    if (next_delayed_ms > 0) {
      timeout = std::min(max_block, std::chrono::milliseconds(std::max<std::int64_t>(1, next_delayed_ms - now)));
    }
    redis::command cmd{"BZPOPMIN", keys.marker};
    cmd.push(fmt::format("{:.3f}", static_cast<double>(timeout.count()) / 1000.0));
    auto r = co_await blocking->exec(std::move(cmd), timeout + std::chrono::seconds(1));
    if (r.is_error()) throw error(errc::redis_error, "BZPOPMIN " + keys.marker + ": " + r.str);
    if (!r.is_array() || r.elements.size() < 3) {
      next_delayed_ms = 0;  // timed out: fetch anyway (it also promotes due delayed jobs)
      co_return;
    }
    double score = std::strtod(r.elements[2].str.c_str(), nullptr);
    if (score <= static_cast<double>(detail::now_ms() + 1)) co_return;
    next_delayed_ms = static_cast<std::int64_t>(score);
  }
}

net::awaitable<std::optional<job>> worker::impl::move_to_active(const std::string& token) {
  const auto& k = keys;
  detail::msgpack_writer o;
  std::uint32_t n = 2 + (opts.limiter ? 1 : 0) + (opts.name.empty() ? 0 : 1);
  o.map(n).str("token").str(token).str("lockDuration").integer(opts.lock_duration.count());
  if (opts.limiter) {
    o.str("limiter").map(2).str("max").integer(opts.limiter->max).str("duration").integer(opts.limiter->duration.count());
  }
  if (!opts.name.empty()) o.str("name").str(opts.name);
  detail::script_args args{k.wait,   k.active, k.prioritized, k.events, k.stalled, k.limiter, k.delayed,
                          k.paused, k.meta,   k.pc,          k.marker, k.base()};
  args.push_back(std::to_string(detail::now_ms()));
  args.push_back(o.take());
  auto r = co_await detail::run_script(*conn, detail::lua::move_to_active, std::move(args));
  co_return take_fetch_reply(r);
}

// The reply of moveToActive (and of a finish that fetches the next job):
// [job fields | 0, job id | 0, rate limit ttl ms, next delayed due ms].
std::optional<job> worker::impl::take_fetch_reply(redis::reply& r) {
  if (!r.is_array() || r.elements.size() < 4) {
    throw error(errc::protocol_error, "moveToActive answered an unexpected reply");
  }
  auto& fields = r.elements[0];
  if (fields.is_array() && !fields.elements.empty()) {
    std::vector<std::string> fv;
    fv.reserve(fields.elements.size());
    for (auto& e : fields.elements) fv.push_back(std::move(e.str));
    return job::from_hash(r.elements[1].as_string(), fv);
  }
  auto ttl = r.elements[2].as_int().value_or(0);
  if (ttl > 0) {
    rate_limited_until = clock::now() + std::min(max_rate_limit_wait, std::chrono::milliseconds(ttl));
    return std::nullopt;
  }
  drained = true;
  next_delayed_ms = r.elements[3].as_int().value_or(0);
  return std::nullopt;
}

}  // namespace drover
