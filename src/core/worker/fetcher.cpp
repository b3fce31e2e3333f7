// fetcher.cpp - takes jobs off the queue while the worker has free slots.
//
// It waits for work as BullMQ's worker does: after a fetch finds nothing it blocks
// on the queue's marker (BZPOPMIN) until a producer signals a new job or the next
// delayed job is due, instead of polling.
#include "core/worker/fetcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/keys.hpp"
#include "core/queue_connection.hpp"
#include "core/redis_retry.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/drop_stale_marker.hpp"
#include "core/worker/scheduler_iteration.hpp"
#include "redis/cluster.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

namespace {

constexpr std::chrono::milliseconds max_block{10000};  // BullMQ's cap on one marker wait
// How much longer than the local due timer Redis's own timeout of a marker wait is.
constexpr std::chrono::milliseconds unblock_fallback{1000};

}  // namespace

fetcher::fetcher(std::shared_ptr<worker_state> state, std::shared_ptr<job_runner> runner)
    : state_(std::move(state)),
      runner_(std::move(runner)),
      blocking_(queue_connection(state_->ex, state_->opts.redis, state_->keys,
                                 client_name(state_->opts.prefix, state_->keys.queue(),
                                             state_->opts.name.empty() ? "" : ":w:" + state_->opts.name))),
      due_timer_(state_->ex),
      slot_freed_(state_->ex),
      back_off_over_(state_->ex),
      fetch_ended_(state_->ex) {}

void fetcher::quiet() {
  slot_freed_.notify_all();
  back_off_over_.notify_all();
  due_timer_.cancel();
  blocking_->interrupt();
}

void fetcher::close() { blocking_->close(); }

net::awaitable<void> fetcher::keep_listed() {
  redis::command ping{"PING"};
  try {
    co_await blocking_->exec(std::move(ping));
  } catch (const error&) {
    // Away still: the caller tries again, and a fetch reports the outage.
  }
}

// Marks a fetch in flight for fetch_settled(), until its job is in the running table or
// the fetch ended without one (or threw).
class fetcher::fetch_in_flight {
 public:
  explicit fetch_in_flight(fetcher& f) : f_(f) { f_.fetching_ = true; }
  fetch_in_flight(const fetch_in_flight&) = delete;
  fetch_in_flight& operator=(const fetch_in_flight&) = delete;
  ~fetch_in_flight() { end(); }
  void end() {
    if (!f_.fetching_) return;
    f_.fetching_ = false;
    f_.fetch_ended_.notify_all();
  }

 private:
  fetcher& f_;
};

net::awaitable<void> fetcher::fetch_settled(clock::time_point deadline) {
  while (fetching_ && clock::now() < deadline) co_await fetch_ended_.wait_until(deadline);
}

net::awaitable<void> fetcher::run() {
  auto self = shared_from_this();
  auto& s = *state_;
  bool failed = false;
  // With Sentinel, a new master ends the back-off from errors: it is where the next fetch
  // will succeed, and the back-off may have grown to seconds while the old one was away.
  blocking_->on_master_switched([weak = weak_from_this()] {
    if (auto f = weak.lock()) {
      f->error_backoff_ = {};
      f->back_off_over_.notify_all();
    }
  });
  while (!s.stop.stopped()) {
    if (s.running.size() >= static_cast<std::size_t>(s.opts.concurrency)) {
      // Every slot that frees wakes us, and so does quiet().
      leave_line();
      // getWorkers lists a worker by its blocking connection's name: one lost (a
      // failover, a restart) while every slot is busy is made again within a second, not
      // at the next wait, or the worker vanishes from the list and a no-worker alert
      // fires while it works.
      if (!blocking_->is_connected()) {
        co_await keep_listed();
        // A slot that freed (or a stop) during the PING notified nobody: a worker's first
        // job, done while its blocking connection was being made, left the next one
        // waiting out the second below.
        if (s.running.size() < static_cast<std::size_t>(s.opts.concurrency) || s.stop.stopped()) continue;
      }
      co_await slot_freed_.wait_until(clock::now() + std::chrono::seconds(1));
      continue;
    }
    try {
      if (const auto held = std::max(rate_limited_until_, s.fetches_held_until); clock::now() < held) {
        leave_line();
        co_await s.stop.sleep_until(held);
        continue;
      }
      if (drained_) {
        leave_line();
        co_await wait_for_job();
        redis_answers();
        drained_ = false;
        continue;
      }
      // There may be work: take a slot of the shared budget first, waiting in line (an
      // empty queue waits on its marker above without holding one).
      if (s.opts.shared_slots && !s.opts.shared_slots->line().try_take(slot_freed_)) {
        co_await slot_freed_.wait_until(clock::time_point::max());
        continue;
      }
      budget_slot held(s.opts.shared_slots);
      auto token = runner_->next_token();
      fetch_in_flight fetching(*this);
      auto j = co_await move_to_active(token);
      redis_answers();
      if (j) {
        s.running.add(j->id, running_job{token, clock::now(), false, j->attempts_made + 1});
        fetching.end();
        // As Node's worker does, before the job runs: its scheduler's next job.
        if (j->repeat_job_key) co_await schedule_next_iteration(s, *j);
        net::co_spawn(s.ex, run_slot(std::move(*j), token, std::move(held)), [self](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("queue {}: job runner failed: {}", self->state_->keys.queue(), ex.what());
          }
        });
      }
    } catch (const error& e) {
      if (s.stop.stopped()) break;
      // The marker wait was ended by dropping its connection (unblock() refused): fetch.
      if (e.is(errc::cancelled)) continue;
      // Redis is away: back off, then try again; the connection reconnects by itself. The
      // back-off grows as the connection's does, to its cap, so that a worker fetches
      // within reconnect_max of Redis's return.
      const auto longest = std::max(std::chrono::milliseconds(100), s.opts.redis.reconnect_max);
      error_backoff_ = std::min(longest, std::max(std::chrono::milliseconds(100), error_backoff_ * 2));
      if (is_redis_failure(e)) {
        redis_failed(e);
      } else {
        fetch_refused(e);
      }
      notify(s, "error", s.events.error, e);
      failed = true;
    } catch (const std::exception& e) {
      // Anything else (a reply of a shape no parser expected) must not end the loop: the
      // worker would look alive and never fetch again (a chaos run's accepted sends all
      // stayed waiting, with no trace of why). Said, and tried again after the back-off.
      if (s.stop.stopped()) break;
      error_backoff_ =
          std::min(std::chrono::milliseconds(2000), std::max(std::chrono::milliseconds(100), error_backoff_ * 2));
      spdlog::error("queue {}: fetching failed unexpectedly: {}; trying again", s.keys.queue(), e.what());
      failed = true;
    }
    if (failed) {
      failed = false;
      // Ended early by a new master or by quiet() (which follows the stop signal).
      if (!s.stop.stopped()) co_await back_off_over_.wait_until(clock::now() + error_backoff_);
    }
  }
  leave_line();
}

// An outage is logged when it starts and then every half minute while it lasts: a
// warning per back-off (every reconnect_max) would bury the rest of the log.
void fetcher::redis_failed(const error& e) {
  const auto now = clock::now();
  if (!lost_since_) {
    lost_since_ = now;
    last_outage_log_ = now;
    const auto longest = std::max(std::chrono::milliseconds(100), state_->opts.redis.reconnect_max);
    spdlog::warn("queue {}: {}; retrying, at most {} ms apart, until Redis answers again", state_->keys.queue(),
                 e.what(), longest.count());
    return;
  }
  if (now - last_outage_log_ < outage_log_interval) return;
  last_outage_log_ = now;
  const auto away = std::chrono::duration_cast<std::chrono::seconds>(now - *lost_since_);
  // Not "cannot be reached": a full Redis (OOM) answers, and refuses.
  spdlog::warn("queue {}: Redis still failing after {} s: {}", state_->keys.queue(), away.count(), e.what());
}

// A refusal that repeats (an ACL without the queue's keys lasts until the operator acts)
// is logged once and then every half minute with how many were left unsaid, as an outage
// is: each back-off's line buried the log (an ACL review counted 90 a minute per app).
void fetcher::fetch_refused(const error& e) {
  const auto now = clock::now();
  const std::string_view text = e.what();
  if (text == last_refusal_ && now - last_refusal_log_ < outage_log_interval) {
    ++refusals_unlogged_;
    return;
  }
  if (text == last_refusal_ && refusals_unlogged_ > 0) {
    spdlog::error("queue {}: fetching failed: {} ({} more times since the last line)", state_->keys.queue(), text,
                  refusals_unlogged_);
  } else {
    spdlog::error("queue {}: fetching failed: {}", state_->keys.queue(), text);
  }
  last_refusal_ = std::string(text);
  last_refusal_log_ = now;
  refusals_unlogged_ = 0;
}

// After an outage, says so once: the warnings that it goes on stop, and an operator
// watching the log wants to see that it ended.
void fetcher::redis_answers() {
  error_backoff_ = {};
  last_refusal_.clear();
  if (!lost_since_) return;
  const auto away = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - *lost_since_);
  lost_since_.reset();
  spdlog::info("queue {}: Redis answers again; fetching resumed ({} ms after the first failure)", state_->keys.queue(),
               away.count());
}

// Only a fetcher about to fetch waits in the budget's line: one that waits for anything
// else must not hold the head of it.
void fetcher::leave_line() {
  if (state_->opts.shared_slots) state_->opts.shared_slots->line().leave(slot_freed_);
}

net::awaitable<void> fetcher::run_slot(job first, std::string token, budget_slot held) {
  auto self = shared_from_this();
  auto& s = *state_;
  // Asked when the job's outcome is recorded, not now: by then the worker may be closing.
  const std::function<bool()> fetch_next = [this] { return fetch_with_finish(); };
  std::optional<job> next(std::move(first));
  while (next) {
    job j = std::move(*next);
    next.reset();
    const std::string id = j.id;
    std::optional<scripts::fetched> fetched;
    try {
      auto run = runner_->run(std::move(j), token, fetch_next);
      fetched = co_await std::move(run);
    } catch (const std::exception& e) {
      // A fault of drover's own: run() deals with Redis being away itself. The job is left
      // to the stalled check rather than holding this slot for ever: its lock, no longer
      // renewed, expires, and the check takes it back as from a worker that died.
      spdlog::error(
          "queue {}: job {}: the worker could not run or record it ({}); its lock is left to expire, for "
          "the stalled check",
          s.keys.queue(), id, e.what());
      s.running.remove(id, token);
      break;
    }
    if (fetched) next = take_fetched(std::move(*fetched));
    if (!next) break;
    // The finish locked it with the same token, as Node's worker does.
    s.running.add(next->id, running_job{token, clock::now(), false, next->attempts_made + 1});
    if (next->repeat_job_key) co_await schedule_next_iteration(s, *next);
  }
  held.release();
  slot_freed_.notify_all();
}

bool fetcher::fetch_with_finish() const {
  // As Node's worker, whether or not rate limited: the limiter's options travel with the
  // finish, whose answer may be the limiter's wait. That answer also decides BullMQ's
  // `drained` event: a finish that fetches emits none while limited or while a delayed
  // job is pending (tests/interop/identity.test.mjs).
  // With a shared budget, a slot someone waits for goes back to the line instead.
  const auto& shared = state_->opts.shared_slots;
  return !state_->stop.stopped() && !(shared && shared->line().contended());
}

// Blocks on the marker until a job may be ready, the next delayed job is due, or
// drain_delay passes. Scores: 0 means "a job is ready", any other score is the time
// (ms) when a delayed job becomes due.
net::awaitable<void> fetcher::wait_for_job() {
  const auto& keys = state_->keys;
  bool first = true;
  while (!state_->stop.stopped()) {
    auto now = now_ms();
    std::chrono::milliseconds timeout = state_->opts.drain_delay;
    if (next_delayed_ms_ > 0) {
      auto due_in = std::chrono::milliseconds(std::max<std::int64_t>(1, next_delayed_ms_ - now));
      timeout = std::min(max_block, due_in);
      // With the local timer armed, Redis's own timeout is only the fallback.
      if (arm_due_timer(due_in)) timeout = due_in + unblock_fallback;
    }
    redis::command cmd{"BZPOPMIN", keys.marker};
    cmd.push(fmt::format("{:.3f}", static_cast<double>(timeout.count()) / 1000.0));
    redis::reply r;
    try {
      if (first) {
        // The marker our own fetch put back would wake this wait at once, for one more
        // fetch in vain: drop it if nothing waits, in the same round trip.
        const auto wait_for = timeout + std::chrono::seconds(1);
        auto call = drop_stale_marker_then(std::move(cmd), wait_for);
        auto replies = co_await std::move(call);
        r = std::move(replies.back());
      } else {
        r = co_await blocking_->exec(std::move(cmd), timeout + std::chrono::seconds(1));
      }
      first = false;
    } catch (const error&) {
      due_timer_.cancel();
      throw;
    }
    due_timer_.cancel();
    // Checked first so that the message is only built for an error (one wait per wake-up).
    if (r.is_error()) {
      const auto redirected = redis::redirection_of(r);
      // A slot migration handed the queue's slot to another node while the wait blocked
      // (Redis ends it with MOVED): the connection follows it, and a fetch sees whatever
      // came meanwhile. Only a call of the pipeline's (the drop ran) reaches us so.
      if (redirected.type == redis::redirection::kind::moved) {
        spdlog::debug("queue {}: the marker's slot moved ({}); fetching", keys.queue(), r.str);
        next_delayed_ms_ = 0;
        co_return;
      }
      if (redirected.type != redis::redirection::kind::none) {
        throw error(errc::redis_unavailable,
                    fmt::format("the cluster refused BZPOPMIN {} ('{}'): a failover or a slot migration is under way",
                                keys.marker, r.str));
      }
      redis::expect_no_error(r, "BZPOPMIN " + keys.marker);
    }
    if (!r.is_array() || r.elements.size() < 3) {
      next_delayed_ms_ = 0;  // timed out or unblocked: fetch (it also promotes due delayed jobs)
      co_return;
    }
    double score = std::strtod(r.elements[2].str.c_str(), nullptr);
    if (score <= static_cast<double>(now_ms() + 1)) co_return;
    next_delayed_ms_ = static_cast<std::int64_t>(score);
  }
}

// The pipeline [dropStaleMarker, `wait`]. When Redis lacks the script (restarted or
// flushed) it is only loaded, for the next wait: run after the wait, the drop could
// remove a marker a new job put there. The vain fetch it would have saved costs less.
net::awaitable<std::vector<redis::reply>> fetcher::drop_stale_marker_then(redis::command wait,
                                                                          std::chrono::milliseconds extra_timeout) {
  const auto& keys = state_->keys;
  auto drop = scripts::drop_stale_marker::of(keys).pack();
  std::vector<std::pair<const lua::script*, script_args>> calls;
  calls.emplace_back(drop.script, std::move(drop.args));
  auto sent = run_scripts_then(*blocking_, std::move(calls), std::move(wait), extra_timeout, after_noscript::load_only);
  auto replies = co_await std::move(sent);
  const auto& dropped = replies.front();
  if (dropped.is_error() && !dropped.str.starts_with("NOSCRIPT")) {
    spdlog::warn("queue {}: dropping a stale marker failed: {}", keys.queue(), dropped.str);
  }
  co_return replies;
}

// Redis checks the timeouts of blocked clients only when its event loop wakes, about
// every 100 ms on an idle server (hz 10), so a delayed job would start up to that late.
// A local timer ends the wait on time instead: CLIENT UNBLOCK, sent on the other
// connection, makes BZPOPMIN return as if it had timed out. An unblock that lands after
// the wait ended only ends a later wait early, which costs one empty fetch.
bool fetcher::arm_due_timer(std::chrono::milliseconds due_in) {
  if (unblock_refused_ || due_in > max_block || blocking_->client_id() == 0) return false;
  due_timer_.expires_after(due_in);
  due_timer_.async_wait([self = shared_from_this(), id = blocking_->client_id()](boost::system::error_code ec) {
    if (ec || self->state_->stop.stopped()) return;
    net::co_spawn(self->state_->ex, self->unblock(id), net::detached);
  });
  return true;
}

net::awaitable<void> fetcher::unblock(std::int64_t client_id) {
  redis::command cmd{"CLIENT", "UNBLOCK"};
  cmd.push(client_id).push("TIMEOUT");
  try {
    auto r = co_await state_->conn->exec(std::move(cmd));
    if (r.is_error()) {
      // An ACL without CLIENT, or a proxy: end this wait the hard way, once, and leave
      // later waits to Redis's own timeout.
      spdlog::warn("queue {}: CLIENT UNBLOCK refused ({}); delayed jobs may start up to 100 ms late",
                   state_->keys.queue(), r.str);
      unblock_refused_ = true;
      blocking_->interrupt();
    }
  } catch (const error&) {
    // Redis is away: the blocked wait fails too, and the fetch loop handles that.
  }
}

net::awaitable<std::optional<job>> fetcher::move_to_active(const std::string& token) {
  auto call = scripts::move_to_active::of(state_->keys, token, state_->opts, now_ms());
  auto fetched = co_await scripts::run(*state_->conn, std::move(call));
  co_return take_fetched(std::move(fetched));
}

std::optional<job> fetcher::take_fetch_reply(redis::reply& r) { return take_fetched(scripts::parse_fetch_reply(r)); }

std::optional<job> fetcher::take_fetched(scripts::fetched f) {
  if (f.next) {
    empty_reported_ = false;
    return std::move(f.next);
  }
  if (f.rate_limit_ttl_ms > 0) {
    rate_limited_until_ = clock::now() + std::min(max_rate_limit_wait, std::chrono::milliseconds(f.rate_limit_ttl_ms));
    return std::nullopt;
  }
  // Once per emptying, as Node's worker reports it, not once per wait on the marker.
  if (!empty_reported_) notify(*state_, "drained", state_->events.drained);
  empty_reported_ = true;
  drained_ = true;
  next_delayed_ms_ = f.next_delayed_ms;
  return std::nullopt;
}

}  // namespace drover::detail
