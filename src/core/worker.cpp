// worker.cpp - a worker's life: start its actors, then close in three steps.
#include "drover/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <random>
#include <thread>

#include "core/clock.hpp"
#include "core/scripts/move_job_from_active_to_wait.hpp"
#include "core/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return fmt::format("{:016x}{:016x}", gen(), gen());
}

void check_options(const worker_options& o) {
  if (o.concurrency < 1) throw error(errc::invalid_argument, "worker concurrency must be at least 1");
  if (o.lock_duration.count() < 1) throw error(errc::invalid_argument, "lock duration must be positive");
  if (o.heartbeat_interval.count() < 0) throw error(errc::invalid_argument, "heartbeat interval must not be negative");
  if (o.stalled_interval.count() < 1) throw error(errc::invalid_argument, "stalled interval must be positive");
  if (o.max_stalled_count < 0) throw error(errc::invalid_argument, "max stalled count must not be negative");
  if (o.limiter && (o.limiter->max < 1 || o.limiter->duration.count() < 1)) {
    throw error(errc::invalid_argument, "rate limiter needs max >= 1 and a positive duration");
  }
  if (o.default_timeout.count() < 0) throw error(errc::invalid_argument, "default timeout must not be negative");
  if (o.cancel_check_interval.count() < 1) throw error(errc::invalid_argument, "cancel check interval must be positive");
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

}  // namespace

worker::impl::impl(net::any_io_executor ex_, std::string queue, processor p, worker_options o)
    : ex(ex_),
      proc(std::move(p)),
      opts(std::move(o)),
      keys(opts.prefix, std::move(queue)),
      conn(redis::connection::create(ex_, opts.redis)),
      blocking(redis::connection::create(
          ex_, opts.redis,
          detail::client_name(opts.prefix, keys.queue(), opts.name.empty() ? "" : ":w:" + opts.name))),
      wakeup(ex_),
      due_timer(ex_),
      closed_signal(ex_),
      worker_id(random_id()) {
  if (proc.blocking_) {
    unsigned n = opts.cpu_threads ? opts.cpu_threads : std::max(1u, std::thread::hardware_concurrency());
    pool = std::make_unique<net::thread_pool>(n);
  }
}

std::chrono::milliseconds worker::impl::renew_time() const {
  return opts.lock_renew_time.count() > 0 ? opts.lock_renew_time : opts.lock_duration / 2;
}

std::string worker::impl::next_token() { return fmt::format("{}:{}", worker_id, ++token_counter); }

void worker::impl::wake() { wakeup.cancel(); }

net::awaitable<bool> worker::impl::sleep(std::chrono::milliseconds d) {
  // Short slices, so that close() is noticed within 100 ms.
  net::steady_timer t(ex);
  auto until = clock::now() + d;
  while (!closing && clock::now() < until) {
    t.expires_at(std::min(until, clock::now() + std::chrono::milliseconds(100)));
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  co_return !closing;
}

worker::worker(net::any_io_executor ex, std::string queue, processor proc, worker_options opts) {
  detail::check_queue_name(queue);
  check_options(opts);
  if (!opts.dead_letter_queue.empty()) {
    detail::check_queue_name(opts.dead_letter_queue);
    if (opts.dead_letter_queue == queue) throw error(errc::invalid_argument, "a queue cannot be its own dead-letter queue");
  }
  if (!proc.async_ && !proc.blocking_) throw error(errc::invalid_argument, "worker needs a processor");
  impl_ = std::make_shared<impl>(std::move(ex), std::move(queue), std::move(proc), std::move(opts));
}

worker::~worker() {
  if (!impl_) return;
  impl_->closing = true;
  impl_->wake();
  impl_->conn->close();
  impl_->blocking->close();
  if (impl_->pool) impl_->pool->join();
}

void worker::start() {
  auto i = impl_;
  if (i->started) return;
  i->started = true;
  const auto& q = i->keys.queue();
  if (!i->opts.skip_stalled_check) net::co_spawn(i->ex, i->stalled_checker(), log_failure("stalled check of " + q));
  net::co_spawn(i->ex, i->lock_renewer(), log_failure("lock renewal of " + q));
  net::co_spawn(i->ex, i->fetch_loop(), log_failure("fetch loop of " + q));
  net::co_spawn(i->ex, i->cancel_watcher(), log_failure("cancel watcher of " + q));
  i->started_at_ms = detail::now_ms();
  if (i->opts.heartbeat_interval.count() > 0) net::co_spawn(i->ex, i->heartbeat(), log_failure("heartbeat of " + q));
}

net::awaitable<void> worker::close(std::chrono::milliseconds grace) {
  auto i = impl_;
  if (i->closing && i->running.empty()) co_return;
  // 1. quiet: stop fetching (interrupting a blocked BZPOPMIN).
  i->closing = true;
  i->wake();
  i->due_timer.cancel();
  i->blocking->interrupt();
  // 2. stop: give the running jobs until the deadline.
  net::steady_timer t(i->ex);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!i->running.empty() && std::chrono::steady_clock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  // 3. hand back: jobs still running go back to wait now rather than after their
  // lock expires; whatever they record later is refused by the lock check. Their
  // processors are told to stop first: an asynchronous one's waits are cancelled, and
  // a blocking one stops at its next check of cancelled(), so that the destructor's
  // wait for the pool ends (issue 13: SIGTERM during a PDF job hung).
  for (auto& [id, run] : i->runs) i->stop_run(*run, cancellation::shutdown, {});
  // A copy: a job that finishes during a hand-back's round trip leaves `running`.
  const auto still_running = i->running;
  for (const auto& [id, r] : still_running) {
    const auto& k = i->keys;
    try {
      auto call = detail::scripts::move_job_from_active_to_wait::of(k, id, r.token);
      co_await detail::scripts::run(*i->conn, std::move(call));
      spdlog::warn("queue {}: job {} still running at close, handed back to wait", k.queue(), id);
    } catch (const std::exception& e) {
      spdlog::warn("queue {}: job {} still running at close; its lock will expire ({})", k.queue(), id, e.what());
    }
  }
  i->running.clear();
  i->note_running();
  if (i->started) co_await i->forget_heartbeat();
  i->conn->close();
  i->blocking->close();
}

std::size_t worker::running() const { return impl_->running.size(); }
std::uint64_t worker::processed() const { return impl_->processed; }

worker_stats worker::stats() const {
  worker_stats s;
  s.completed = impl_->completed_count.load();
  s.failed = impl_->failed_count.load();
  s.running = impl_->busy.load();
  s.concurrency = static_cast<std::size_t>(impl_->opts.concurrency);
  return s;
}

}  // namespace drover
