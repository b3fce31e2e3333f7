// worker.cpp - a worker's life: start its actors, then close in three steps.
#include "drover/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/move_job_from_active_to_wait.hpp"
#include "core/worker/event.hpp"
#include "core/worker/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

void check_options(const worker_options& o) {
  if (o.concurrency < 1) throw error(errc::invalid_argument, "worker concurrency must be at least 1");
  // Shorter locks lapse before a round trip renews them: a 2 ms lock let no job complete,
  // and a 1 ms one (or a 1 ms renew time) renewed in a busy loop (a C++ user's review).
  if (o.lock_duration < std::chrono::milliseconds(100)) {
    throw error(errc::invalid_argument,
                fmt::format("lock duration ({} ms) must be at least 100 ms", o.lock_duration.count()));
  }
  if (o.lock_renew_time.count() != 0 && o.lock_renew_time < std::chrono::milliseconds(10)) {
    throw error(errc::invalid_argument,
                fmt::format("lock renew time ({} ms) must be 0 (half the lock duration) or at least 10 ms",
                            o.lock_renew_time.count()));
  }
  // A lock renewed no sooner than it lapses lapses: the worker's own stalled check then
  // takes back the jobs it runs, and runs them again beside themselves.
  if (o.lock_renew_time.count() < 0 || o.lock_renew_time >= o.lock_duration) {
    throw error(errc::invalid_argument,
                fmt::format("lock renew time ({} ms) must be below the lock duration ({} ms); 0 renews at half of it",
                            o.lock_renew_time.count(), o.lock_duration.count()));
  }
  if (o.heartbeat_interval.count() < 0) throw error(errc::invalid_argument, "heartbeat interval must not be negative");
  if (o.stalled_interval.count() < 1) throw error(errc::invalid_argument, "stalled interval must be positive");
  if (o.max_stalled_count < 0) throw error(errc::invalid_argument, "max stalled count must not be negative");
  if (o.max_started_attempts < 0) throw error(errc::invalid_argument, "max started attempts must not be negative");
  if (o.dead_letters_kept < 0) throw error(errc::invalid_argument, "dead letters kept must not be negative");
  if (o.limiter && (o.limiter->max < 1 || o.limiter->duration.count() < 1)) {
    throw error(errc::invalid_argument, "rate limiter needs max >= 1 and a positive duration");
  }
  if (o.default_timeout.count() < 0) throw error(errc::invalid_argument, "default timeout must not be negative");
  if (o.cancel_check_interval.count() < 1)
    throw error(errc::invalid_argument, "cancel check interval must be positive");
}

// Every actor runs under this: a failure is logged with what the worker was doing.
auto log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("worker {} stopped: {}", what, ex.what());
    }
  };
}

// How long close() waits for its hand-backs once the grace is over. They run side by
// side: one after another, a Redis that does not answer (a partition, a hung server) made
// each wait out the command timeout, and close took a minute past a 5 s grace.
constexpr std::chrono::seconds hand_back_wait{2};

// The hand-backs of one close(): how many are still out, and whether close() stopped
// waiting for them (then their later outcomes are not logged one by one).
struct hand_back_round {
  explicit hand_back_round(net::any_io_executor ex, std::size_t n) : done(std::move(ex)), left(n) {}
  detail::event done;
  std::size_t left;
  bool given_up = false;
};

net::awaitable<void> hand_back(std::shared_ptr<detail::worker_state> s, std::string id, std::string token,
                               std::shared_ptr<hand_back_round> round) {
  const auto& k = s->keys;
  try {
    auto call = detail::scripts::move_job_from_active_to_wait::of(k, id, token);
    co_await detail::scripts::run(*s->conn, std::move(call));
    if (!round->given_up) {
      spdlog::warn(
          "queue {}: job {} not finished at close (its processor still ran, or its outcome was not yet "
          "recorded), handed back to wait",
          k.queue(), id);
    }
  } catch (const std::exception& e) {
    if (!round->given_up) {
      spdlog::warn("queue {}: job {} still running at close; its lock will expire ({})", k.queue(), id, e.what());
    }
  }
  if (--round->left == 0) round->done.notify_all();
}

// The worker's report goes at close, waited for no longer than the hand-backs: a Redis
// that stopped answering held the close of every idle worker a command timeout (an
// operator's drill: SIGTERM with Redis frozen took 12 s against a 3 s grace).
net::awaitable<void> forget_report(std::shared_ptr<detail::heartbeat> report, std::shared_ptr<hand_back_round> round) {
  co_await report->forget();  // a failure is not worth a word: readers drop stale reports
  if (--round->left == 0) round->done.notify_all();
}

}  // namespace

worker::impl::impl(net::any_io_executor ex, std::string queue, processor proc, worker_options opts)
    : state(std::make_shared<detail::worker_state>(std::move(ex), std::move(queue), std::move(opts))),
      runner(std::make_shared<detail::job_runner>(state, std::move(proc))),
      fetcher(std::make_shared<detail::fetcher>(state, runner)),
      lock_renewer(std::make_shared<detail::lock_renewer>(state)),
      stalled_checker(std::make_shared<detail::stalled_checker>(state)),
      cancel_watcher(std::make_shared<detail::cancel_watcher>(state, runner)),
      heartbeat(std::make_shared<detail::heartbeat>(state, runner)),
      close_finished(state->ex) {}

worker::worker(net::any_io_executor ex, std::string queue, processor proc, worker_options opts) {
  detail::check_queue_name(queue);
  check_options(opts);
  if (!opts.dead_letter_queue.empty()) {
    detail::check_queue_name(opts.dead_letter_queue);
    if (opts.dead_letter_queue == queue)
      throw error(errc::invalid_argument, "a queue cannot be its own dead-letter queue");
  }
  if (!proc.async_ && !proc.blocking_) throw error(errc::invalid_argument, "worker needs a processor");
  impl_ = std::make_shared<impl>(std::move(ex), std::move(queue), std::move(proc), std::move(opts));
}

// Without close(), as close(0) would but without waiting: running processors are told
// to stop (cancellation::shutdown: an asynchronous one's waits are cancelled, a blocking
// one sees cancelled(), which also ends the wait for the pool below). Their jobs cannot be
// handed back without a round trip: the stalled check moves them.
worker::~worker() {
  if (!impl_) return;
  impl_->state->callbacks_ended = true;
  impl_->state->stop.fire();
  impl_->fetcher->quiet();
  impl_->runner->stop_all(cancellation::shutdown);
  // Nothing will hand these jobs back (the stalled check will), and actors that wait for
  // the table to empty (the cancel watcher) would keep the executor busy for ever.
  impl_->state->running.clear();
  impl_->state->conn->close();
  impl_->fetcher->close();
  impl_->runner->join_pool();
}

worker_events& worker::events() { return impl_->state->events; }

void worker::start() {
  auto i = impl_;
  // Its connections are released and its loops ended for good: starting again would
  // leave jobs waiting with nothing said.
  if (i->closing)
    throw error(errc::closed, "worker of queue " + i->state->keys.queue() + " was closed: make a new one");
  if (i->started) return;
  i->started = true;
  auto& s = *i->state;
  const auto& q = s.keys.queue();
  if (!s.opts.skip_stalled_check) net::co_spawn(s.ex, i->stalled_checker->run(), log_failure("stalled check of " + q));
  net::co_spawn(s.ex, i->lock_renewer->run(), log_failure("lock renewal of " + q));
  net::co_spawn(s.ex, i->fetcher->run(), log_failure("fetch loop of " + q));
  net::co_spawn(s.ex, i->cancel_watcher->run(), log_failure("cancel watcher of " + q));
  if (s.opts.heartbeat_interval.count() > 0) {
    net::co_spawn(s.ex, i->heartbeat->run(detail::now_ms()), log_failure("heartbeat of " + q));
  }
}

namespace {

// Marks a close done however its coroutine ends, so that the closes waiting for it end too.
struct close_done {
  worker::impl& i;
  ~close_done() {
    i.closed = true;
    i.close_finished.notify_all();
  }
};

}  // namespace

net::awaitable<void> worker::close(std::chrono::milliseconds grace) {
  auto i = impl_;
  auto& s = *i->state;
  // A close while another runs (a signal handler's and the program's own): it waits for
  // that one, whose grace applies, and reports nothing itself (`closed` comes once).
  if (i->closing) {
    while (!i->closed) co_await i->close_finished.wait_until(detail::event::clock::time_point::max());
    co_return;
  }
  if (s.stop.stopped() && s.running.empty()) co_return;
  i->closing = true;
  close_done finishing{*i};
  // 1. quiet: stop fetching (interrupting a blocked BZPOPMIN), and every actor's sleep.
  s.stop.fire();
  i->fetcher->quiet();
  // 2. stop: give the running jobs until the deadline; the last to leave the running
  // table ends the wait. A job a fetch in flight takes is one of them, so the fetch is
  // waited for first: a round trip, so at least a hand-back's wait even with no grace.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  auto settled = i->fetcher->fetch_settled(std::max(deadline, std::chrono::steady_clock::now() + hand_back_wait));
  co_await std::move(settled);
  co_await s.running.wait_until_empty(deadline);
  // 3. hand back: jobs still running go back to wait now rather than after their
  // lock expires; whatever they record later is refused by the lock check. Their
  // processors are told to stop first: an asynchronous one's waits are cancelled, and
  // a blocking one stops at its next check of cancelled(), so that the destructor's
  // wait for the pool ends (issue 13: SIGTERM during a PDF job hung).
  i->runner->stop_all(cancellation::shutdown);
  // A blocking processor cannot be stopped, only told to: its job is handed back once it
  // has returned, or it would run here and on the worker that takes it at once. Its lock
  // is renewed meanwhile (it is still in the running table).
  std::vector<std::string> handed_back;
  for (const auto& [id, r] : s.running.jobs()) handed_back.push_back(id);
  auto returning =
      i->runner->blocking_returned(handed_back, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  if (!co_await std::move(returning)) {
    spdlog::warn(
        "queue {}: closing waits for {} blocking processor(s) told to stop that have not returned (they do not "
        "check cancelled())",
        s.keys.queue(), i->runner->blocking_running(handed_back));
    auto returned = i->runner->blocking_returned(handed_back, std::chrono::steady_clock::time_point::max());
    co_await std::move(returned);
  }
  // A copy: a job that finishes during a hand-back's round trip leaves the table.
  const auto still_running = s.running.jobs();
  bool redis_answered = true;
  if (!still_running.empty()) {
    auto round = std::make_shared<hand_back_round>(s.ex, still_running.size());
    for (const auto& [id, r] : still_running) {
      net::co_spawn(s.ex, hand_back(i->state, id, r.token, round), net::detached);
    }
    // The event keeps no notice: hand-backs that ended already (they start inline) are
    // not waited for.
    if (round->left > 0) co_await round->done.wait_until(std::chrono::steady_clock::now() + hand_back_wait);
    if (round->left > 0) {
      round->given_up = true;
      redis_answered = false;
      spdlog::warn(
          "queue {}: {} job(s) still running at close were not handed back within {} s (Redis did not "
          "answer); their locks will expire and the stalled check will move them",
          s.keys.queue(), round->left, hand_back_wait.count());
    }
  }
  s.running.clear();
  // Its report goes stale by itself: not worth another wait on a Redis that did not answer.
  if (i->started && redis_answered) {
    auto round = std::make_shared<hand_back_round>(s.ex, 1);
    net::co_spawn(s.ex, forget_report(i->heartbeat, round), net::detached);
    if (round->left > 0) co_await round->done.wait_until(std::chrono::steady_clock::now() + hand_back_wait);
  }
  s.conn->close();
  i->fetcher->close();
  detail::notify(s, "closed", s.events.closed);
  s.callbacks_ended = true;
}

std::size_t worker::running() const { return impl_->state->running.size(); }
std::uint64_t worker::processed() const { return impl_->runner->processed(); }

worker_stats worker::stats() const {
  worker_stats s;
  s.completed = impl_->runner->completed();
  s.failed = impl_->runner->failed();
  s.running = impl_->state->running.count();
  s.concurrency = static_cast<std::size_t>(impl_->state->opts.concurrency);
  return s;
}

}  // namespace drover
