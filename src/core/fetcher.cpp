// fetcher.cpp - takes jobs off the queue while the worker has free slots.
//
// It waits for work as BullMQ's worker does: after a fetch finds nothing it blocks
// on the queue's marker (BZPOPMIN) until a producer signals a new job or the next
// delayed job is due, instead of polling.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/scripts/move_to_active.hpp"
#include "core/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

constexpr std::chrono::milliseconds max_block{10000};         // BullMQ's cap on one marker wait
constexpr std::chrono::milliseconds max_rate_limit_wait{30000}; // BullMQ's maximumRateLimitDelay
constexpr std::chrono::milliseconds max_error_backoff{5000};
// How much longer than the local due timer Redis's own timeout of a marker wait is.
constexpr std::chrono::milliseconds unblock_fallback{1000};

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
        running[j->id] = running_job{token, clock::now(), false, j->attempts_made + 1};
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
      // The marker wait was ended by dropping its connection (unblock() refused): fetch.
      if (e.is(errc::cancelled)) continue;
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
      auto due_in = std::chrono::milliseconds(std::max<std::int64_t>(1, next_delayed_ms - now));
      timeout = std::min(max_block, due_in);
      // With the local timer armed, Redis's own timeout is only the fallback.
      if (arm_due_timer(due_in)) timeout = due_in + unblock_fallback;
    }
    redis::command cmd{"BZPOPMIN", keys.marker};
    cmd.push(fmt::format("{:.3f}", static_cast<double>(timeout.count()) / 1000.0));
    redis::reply r;
    try {
      r = co_await blocking->exec(std::move(cmd), timeout + std::chrono::seconds(1));
    } catch (const error&) {
      due_timer.cancel();
      throw;
    }
    due_timer.cancel();
    if (r.is_error()) throw error(errc::redis_error, "BZPOPMIN " + keys.marker + ": " + r.str);
    if (!r.is_array() || r.elements.size() < 3) {
      next_delayed_ms = 0;  // timed out or unblocked: fetch (it also promotes due delayed jobs)
      co_return;
    }
    double score = std::strtod(r.elements[2].str.c_str(), nullptr);
    if (score <= static_cast<double>(detail::now_ms() + 1)) co_return;
    next_delayed_ms = static_cast<std::int64_t>(score);
  }
}

// Redis checks the timeouts of blocked clients only when its event loop wakes, about
// every 100 ms on an idle server (hz 10), so a delayed job would start up to that late.
// A local timer ends the wait on time instead: CLIENT UNBLOCK, sent on the other
// connection, makes BZPOPMIN return as if it had timed out. An unblock that lands after
// the wait ended only ends a later wait early, which costs one empty fetch.
bool worker::impl::arm_due_timer(std::chrono::milliseconds due_in) {
  if (unblock_refused || due_in > max_block || blocking->client_id() == 0) return false;
  due_timer.expires_after(due_in);
  due_timer.async_wait([self = shared_from_this(), id = blocking->client_id()](boost::system::error_code ec) {
    if (ec || self->closing) return;
    net::co_spawn(self->ex, self->unblock(id), net::detached);
  });
  return true;
}

net::awaitable<void> worker::impl::unblock(std::int64_t client_id) {
  redis::command cmd{"CLIENT", "UNBLOCK"};
  cmd.push(client_id).push("TIMEOUT");
  try {
    auto r = co_await conn->exec(std::move(cmd));
    if (r.is_error()) {
      // An ACL without CLIENT, or a proxy: end this wait the hard way, once, and leave
      // later waits to Redis's own timeout.
      spdlog::warn("queue {}: CLIENT UNBLOCK refused ({}); delayed jobs may start up to 100 ms late",
                   keys.queue(), r.str);
      unblock_refused = true;
      blocking->interrupt();
    }
  } catch (const error&) {
    // Redis is away: the blocked wait fails too, and the fetch loop handles that.
  }
}

net::awaitable<std::optional<job>> worker::impl::move_to_active(const std::string& token) {
  auto call = detail::scripts::move_to_active::of(keys, token, opts, detail::now_ms());
  auto fetched = co_await detail::scripts::run(*conn, std::move(call));
  co_return take_fetched(std::move(fetched));
}

std::optional<job> worker::impl::take_fetch_reply(redis::reply& r) {
  return take_fetched(detail::scripts::parse_fetch_reply(r));
}

std::optional<job> worker::impl::take_fetched(detail::scripts::fetched f) {
  if (f.next) return std::move(f.next);
  if (f.rate_limit_ttl_ms > 0) {
    rate_limited_until = clock::now() + std::min(max_rate_limit_wait, std::chrono::milliseconds(f.rate_limit_ttl_ms));
    return std::nullopt;
  }
  drained = true;
  next_delayed_ms = f.next_delayed_ms;
  return std::nullopt;
}

}  // namespace drover
