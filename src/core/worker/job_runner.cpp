// job_runner.cpp - runs one job and records how it ended: completed, retried, or failed.
//
// The retry decision is the worker's, as in BullMQ: retry while attemptsMade + 1 <
// attempts and the error is recoverable, after the job's backoff delay.
#include "core/worker/job_runner.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <future>
#include <thread>

#include "core/cancel_job_now.hpp"
#include "core/cancellation.hpp"
#include "core/add_job.hpp"
#include "core/clock.hpp"
#include "core/dead_letter_format.hpp"
#include "core/dependency_reads.hpp"
#include "core/redis_retry.hpp"
#include "core/retry_decision.hpp"
#include "core/script_errors.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/add_log.hpp"
#include "core/rate_limit_key.hpp"
#include "core/scripts/move_job_from_active_to_wait.hpp"
#include "core/scripts/move_to_delayed.hpp"
#include "core/scripts/move_to_finished.hpp"
#include "core/scripts/retry_job.hpp"
#include "core/scripts/update_progress.hpp"
#include "core/tracing/job_spans.hpp"
#include "core/worker/lock_extension.hpp"
#include "core/worker/lost_fetch.hpp"
#include "core/worker/pool_call.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::detail {

namespace {

using clock = std::chrono::steady_clock;

// A processor's progress and log lines wait while Redis is away (redis_retry.hpp), for up
// to one lock duration, after which the stalled check owns the job anyway: a blip must
// not fail a job from inside its processor, which rarely catches these. The last error
// is thrown when Redis stays away, or the worker closes meanwhile.
template <class Call>
net::awaitable<void> run_while_redis_away(worker_state& w, Call call) {
  auto attempt = [&]() -> net::awaitable<void> {
    Call copy = call;
    co_await scripts::run(*w.conn, std::move(copy));
  };
  const auto deadline = clock::now() + w.opts.lock_duration;
  auto tried = co_await retry_while_redis_away(w.stop, deadline, on_close::give_up, attempt);
  if (!tried.value) throw *tried.last_error;
}

class async_context final : public job_context {
 public:
  async_context(worker_state& w, job_runner& runner, const drover::job& j, const std::atomic<cancellation>& why)
      : w_(w), runner_(runner), job_(j), why_(why) {}
  const drover::job& job() const override { return job_; }
  cancellation cancel_reason() const override { return why_.load(); }
  net::awaitable<bool> check_cancelled() override {
    if (cancelled()) co_return true;
    redis::command ask{"HGET", w_.keys.job(job_.id), std::string(cancel_field)};
    auto request = co_await w_.conn->exec(std::move(ask));
    redis::expect_no_error(request, "HGET " + w_.keys.job(job_.id));
    if (request.is_string()) runner_.cancel(job_.id, std::move(request.str));
    co_return cancelled();
  }
  net::awaitable<void> update_progress(json::value progress) override {
    auto call = scripts::update_progress::of(w_.keys, job_.id, drover::serialize_json(progress));
    co_await run_while_redis_away(w_, std::move(call));
    notify(w_, "progress", w_.events.progress, job_.id, progress);
  }
  net::awaitable<void> log(std::string line) override {
    auto call = scripts::add_log::of(w_.keys, job_.id, std::move(line), job_.opts.keep_logs);
    co_await run_while_redis_away(w_, std::move(call));
  }
  // Flows.
  std::string queue_key() const override { return w_.keys.qualified(); }
  net::awaitable<json::object> children_values() override {
    co_return co_await read_children_values(*w_.conn, w_.keys, job_.id);
  }
  net::awaitable<std::map<std::string, std::string>> ignored_children_failures() override {
    co_return co_await read_ignored_failures(*w_.conn, w_.keys, job_.id);
  }
  net::awaitable<void> extend_lock(std::chrono::milliseconds duration) override {
    co_await extend_running_lock(w_, job_.id, duration);
  }

 private:
  worker_state& w_;
  job_runner& runner_;
  const drover::job& job_;
  const std::atomic<cancellation>& why_;
};

// The calls of pool_context, made of values they own: after a shutdown the pool thread
// may stop waiting for them and go on (see pool_context::hop).
net::awaitable<void> send_progress(std::shared_ptr<worker_state> w, std::string id, json::value progress) {
  auto call = scripts::update_progress::of(w->keys, id, drover::serialize_json(progress));
  co_await run_while_redis_away(*w, std::move(call));
  notify(*w, "progress", w->events.progress, id, progress);
}

net::awaitable<void> send_log(std::shared_ptr<worker_state> w, std::string id, std::string line,
                              std::optional<std::int64_t> keep_logs) {
  auto call = scripts::add_log::of(w->keys, std::move(id), std::move(line), keep_logs);
  co_await run_while_redis_away(*w, std::move(call));
}

net::awaitable<void> send_extend_lock(std::shared_ptr<worker_state> w, std::string id,
                                      std::chrono::milliseconds duration) {
  co_await extend_running_lock(*w, std::move(id), duration);
}

// Runs on a pool thread; each call hops to the worker's executor and waits there.
class pool_context final : public blocking_job_context {
 public:
  pool_context(std::shared_ptr<worker_state> w, const drover::job& j, const std::atomic<cancellation>& why)
      : w_(std::move(w)), job_(j), why_(why) {}
  const drover::job& job() const override { return job_; }
  cancellation cancel_reason() const override { return why_.load(); }
  void update_progress(json::value progress) override { hop(send_progress(w_, job_.id, std::move(progress))); }
  void log(std::string line) override { hop(send_log(w_, job_.id, std::move(line), job_.opts.keep_logs)); }
  void extend_lock(std::chrono::milliseconds duration) override { hop(send_extend_lock(w_, job_.id, duration)); }

 private:
  // Waits for `call` on the worker's executor. After a close past its grace the event
  // loop may stop before it runs the call, and the job is back in wait anyway: the
  // wait then ends without it instead of never.
  void hop(net::awaitable<void> call) {
    // Not even posted once shut down: with the worker destroyed, its event loop is
    // blocked joining this pool, and each call waited out a 50 ms slice (a processor's
    // 100,000 progress calls kept a destructor for over an hour).
    if (why_.load() == cancellation::shutdown) return;
    auto done = net::co_spawn(w_->ex, std::move(call), net::use_future);
    while (done.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout) {
      if (why_.load() == cancellation::shutdown) return;
    }
    done.get();
  }

  std::shared_ptr<worker_state> w_;
  const drover::job& job_;
  const std::atomic<cancellation>& why_;
};

}  // namespace

// One run of a processor, shared by the job runner and the processor's coroutine, which
// may outlive the runner's interest in it (after a timeout or a cancellation).
struct processor_run {
  processor_run(net::any_io_executor ex, job&& jb) : finished(ex), j(std::move(jb)) {}
  net::steady_timer finished;  // cancelled when the processor returns or throws, or is stopped
  job j;
  std::chrono::milliseconds timeout{0};               // 0: none
  std::atomic<cancellation> why{cancellation::none};  // read by pool threads too
  std::string cancel_request;                         // the request's JSON when why is cancelled
  bool done = false;
  json::value result;
  std::exception_ptr error;
  net::cancellation_signal stop;
};

namespace {

// Starts the attempt's clock: `finished` then expires when its time is up. Moving the
// expiry cancels the runner's wait on the timer, which waits again (see job_runner::run).
void start_clock(processor_run& run) {
  if (run.done || run.why.load() != cancellation::none || run.timeout.count() <= 0) return;
  run.finished.expires_after(run.timeout);
}

// The job as Node's worker hands it to its listeners: this attempt counted, its outcome
// in it (a C++ user's review: a ported `attemptsMade >= attempts` check was one off, and
// failed_reason the previous attempt's). Made only for a callback that is set.
job after_failed_attempt(const job& j, const std::string& reason, const json::array& traces,
                         std::optional<std::int64_t> finished_on) {
  job out = j;
  out.attempts_made += 1;
  out.failed_reason = reason;
  out.stacktrace.clear();
  for (const auto& t : traces) {
    if (t.is_string()) out.stacktrace.emplace_back(t.get_string());
  }
  if (finished_on) out.finished_on = finished_on;
  return out;
}

job after_completion(const job& j, const json::value& result, std::int64_t finished_on) {
  job out = j;
  out.attempts_made += 1;
  out.returnvalue = result;
  out.finished_on = finished_on;
  return out;
}

// The owner's dead_letter_if, guarded: one that threw left the job failed for good but
// unrecorded, to stall and fail again for ever (and anything but an std::exception left
// io_context::run()). A predicate that cannot answer keeps the copy: nothing is lost.
bool wants_dead_letter(const worker_options& opts, const job& j, std::string_view queue) {
  if (!opts.dead_letter_if) return true;
  try {
    return opts.dead_letter_if(j);
  } catch (const std::exception& e) {
    spdlog::error("queue {}: job {}: dead_letter_if threw: {}; copying it to {} all the same", queue, j.id, e.what(),
                  opts.dead_letter_queue);
  } catch (...) {
    spdlog::error("queue {}: job {}: dead_letter_if threw an unknown exception; copying it to {} all the same", queue,
                  j.id, opts.dead_letter_queue);
  }
  return true;
}

}  // namespace

job_runner::job_runner(std::shared_ptr<worker_state> state, processor proc)
    : state_(std::move(state)), proc_(std::move(proc)), tracer_(tracer::of(state_->opts.tracing)) {
  if (proc_.blocking_) {
    const auto& o = state_->opts;
    unsigned n = o.cpu_threads ? o.cpu_threads : std::max(1u, std::thread::hardware_concurrency());
    pool_ = std::make_unique<net::thread_pool>(n);
    on_pool_ = std::make_shared<pool_gauge>(state_->ex);
  }
}

std::string job_runner::next_token() { return fmt::format("{}:{}", state_->id, ++token_counter_); }

std::vector<std::string> job_runner::processors_running() const {
  std::vector<std::string> ids;
  for (const auto& [id, run] : runs_) ids.push_back(id);
  return ids;
}

bool job_runner::cancel(const std::string& id, std::string request) {
  auto it = runs_.find(id);
  if (it == runs_.end() || !cancel_request_applies(request, it->second->j.attempts_made)) return false;
  stop_run(*it->second, cancellation::cancelled, std::move(request));
  return true;
}

void job_runner::stop_all(cancellation why) {
  if (why == cancellation::shutdown) shut_down_ = true;
  for (auto& [id, run] : runs_) stop_run(*run, why, {});
}

void job_runner::join_pool() {
  if (pool_) pool_->join();
}

std::size_t job_runner::blocking_running(const std::vector<std::string>& ids) const {
  std::size_t n = 0;
  if (on_pool_) {
    for (const auto& id : ids) n += on_pool_->jobs.count(id);
  }
  return n;
}

net::awaitable<bool> job_runner::blocking_returned(std::vector<std::string> ids,
                                                   std::chrono::steady_clock::time_point deadline) {
  auto self = shared_from_this();
  while (blocking_running(ids) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await on_pool_->returned.wait_until(deadline);
  }
  co_return true;
}

net::awaitable<json::value> job_runner::call_processor(std::shared_ptr<processor_run> run) {
  auto self = shared_from_this();  // a stopped processor may outlive its job's run()
  // Once stopped, only the wait in flight is cancelled: later awaits must not throw on
  // their own, because Asio's co_spawn (1.81) rethrows such an error from its final
  // hand-off when it happens after the function returned, which ends the process.
  auto keep_going = net::this_coro::throw_if_cancelled(false);
  co_await keep_going;
  if (proc_.async_) {
    async_context ctx(*state_, *this, run->j, run->why);
    co_return co_await proc_.async_(ctx);
  }
  // A blocking job's clock starts when a pool thread takes it, not while it waits for
  // one behind other jobs (its lock is renewed meanwhile); one stopped while it waited
  // does not start at all.
  on_pool_->jobs.insert(run->j.id);
  auto on_pool = [fn = proc_.blocking_, state = state_, run, gauge = on_pool_, id = run->j.id]() -> json::value {
    // However the processor ends: its return is counted on the executor.
    struct counted_return {
      const std::shared_ptr<worker_state>& state;
      const std::shared_ptr<pool_gauge>& gauge;
      const std::string& id;
      ~counted_return() {
        net::post(state->ex, [gauge = gauge, id = id] {
          gauge->jobs.erase(gauge->jobs.find(id));
          gauge->returned.notify_all();
        });
      }
    } counted{state, gauge, id};
    if (run->why.load() != cancellation::none) throw std::runtime_error("stopped before a pool thread took it");
    net::post(state->ex, [run] { start_clock(*run); });
    pool_context ctx(state, run->j, run->why);
    return fn(ctx);
  };
  auto on_pool_done = run_on_pool<json::value>(*pool_, std::move(on_pool), net::use_awaitable);
  co_return co_await std::move(on_pool_done);
}

void job_runner::stop_run(processor_run& run, cancellation why, std::string request) {
  if (run.done || run.why.load() != cancellation::none) return;
  run.cancel_request = std::move(request);
  run.why = why;
  run.stop.emit(net::cancellation_type::terminal);
  run.finished.cancel();
}

std::chrono::milliseconds job_runner::timeout_of(const job& j) const {
  if (j.opts.timeout && *j.opts.timeout > 0) return std::chrono::milliseconds(*j.opts.timeout);
  return state_->opts.default_timeout;
}

net::awaitable<std::optional<scripts::fetched>> job_runner::run(job j, const std::string& token,
                                                                const std::function<bool()>& fetch_next) {
  auto self = shared_from_this();
  // Taken before close() stopped the processors, and started only after (a job whose
  // scheduler's next job was being added meanwhile): close() has handed it back, and
  // running it now would run it twice (a diff review). As a stopped one, it records nothing.
  if (shut_down_) co_return std::nullopt;
  std::optional<scripts::fetched> next;
  std::optional<std::string> failure;
  bool unrecoverable = false;
  std::optional<std::string> cancel_request = j.cancel_requested;  // made before the job started
  if (cancel_request && !cancel_request_applies(*cancel_request, j.attempts_made)) cancel_request.reset();
  json::value result;
  // The processor put the job back (move_to_delayed, rate_limited): no outcome.
  std::optional<std::int64_t> delayed_until;
  std::optional<std::chrono::milliseconds> limited_for;
  bool waits_for_children = false;  // the processor threw wait_for_children (flows)
  notify(*state_, "active", state_->events.active, std::as_const(j));
  job_trace traced(tracer_.get(), state_->keys.queue(), state_->id, state_->opts.name, j);
  const auto max_started = state_->opts.max_started_attempts;
  if (j.deferred_failure) {
    failure = *j.deferred_failure;
    unrecoverable = true;
  } else if (max_started > 0 && j.attempts_started > max_started) {
    // Started again after stalls past the limit: failed without running, as Node's does.
    failure = "job started more than allowable limit";
    unrecoverable = true;
  } else if (!cancel_request) {
    // The job moves into the run and back once the processor is done with it: no copy
    // per job (a processor stopped before its end keeps it, and the runner takes a copy).
    auto run = std::make_shared<processor_run>(state_->ex, std::move(j));
    runs_[run->j.id] = run;  // for the cancel watcher
    // The processor runs as its own coroutine so that a timeout or a cancellation can
    // give up on it (and cancel what it waits for) without waiting for it to notice.
    net::co_spawn(state_->ex, call_processor(run),
                  net::bind_cancellation_slot(run->stop.slot(), [run](std::exception_ptr e, json::value v) {
                    run->done = true;
                    run->error = e;
                    run->result = std::move(v);
                    run->finished.cancel();
                  }));
    const auto timeout = timeout_of(run->j);
    run->timeout = timeout;
    run->finished.expires_at(clock::time_point::max());
    if (!proc_.blocking_) start_clock(*run);  // a blocking one's starts on its pool thread
    boost::system::error_code ec;
    // Woken without an outcome and before the time is up: the clock started (start_clock).
    do {
      ec = {};
      co_await run->finished.async_wait(net::redirect_error(net::use_awaitable, ec));
    } while (ec == net::error::operation_aborted && !run->done && run->why.load() == cancellation::none);
    runs_.erase(run->j.id);
    if (run->done) {
      j = std::move(run->j);
    } else {
      j = run->j;
    }
    // close() handed the job back to wait: it runs again, and this attempt records
    // nothing (the lock is gone; a record would only be refused). close() forgets the
    // job in the running table itself.
    if (run->why.load() == cancellation::shutdown) co_return std::nullopt;
    if (run->why.load() == cancellation::cancelled) {
      cancel_request = run->cancel_request;
    } else if (!run->done) {
      stop_run(*run, cancellation::timeout, {});
      failure = fmt::format("job timed out after {} ms", timeout.count());
    } else if (run->error) {
      // A request may have come after the last check: it wins over the outcome, so
      // that a job reported "signalled" never ends failed for another reason (nor
      // retried). A completion checks in the same call that records it (complete()).
      cancel_request = co_await find_cancel_request(j.id, j.attempts_made);
      if (!cancel_request) {
        try {
          std::rethrow_exception(run->error);
        } catch (const move_to_delayed& d) {
          delayed_until = d.until_ms;
        } catch (const rate_limited& r) {
          limited_for = r.duration;
        } catch (const wait_for_children&) {
          waits_for_children = true;
        } catch (const unrecoverable_error& e) {
          failure = e.what();
          unrecoverable = true;
        } catch (const std::exception& e) {
          failure = e.what();
        } catch (...) {
          failure = "unknown error";
        }
      }
    } else {
      result = std::move(run->result);
    }
  }
  traced.processor_ended(failure);
  traced.finishing();
  if (!cancel_request && !failure && !delayed_until && !limited_for && !waits_for_children) {
    // A result that cannot be written fails the attempt, as a JSON.stringify that throws
    // fails Node's (a C++ user's 50,000-deep result overflowed the stack).
    std::string result_text;
    try {
      result_text = drover::serialize_json(result);
    } catch (const std::exception& e) {
      failure = fmt::format("the result cannot be stored: {}", e.what());
    }
    if (!failure) {
      const bool fetch = fetch_next();
      next = co_await complete(j, token, result, std::move(result_text), fetch, cancel_request);
    }
  }
  if (cancel_request) {
    co_await fail_cancelled(j, token, *cancel_request);
  } else if (failure) {
    const bool fetch = fetch_next();
    next = co_await fail(j, token, *failure, unrecoverable, fetch);
  } else if (delayed_until) {
    co_await put_off(j, token, *delayed_until);
  } else if (limited_for) {
    next = co_await hold_back(j, token, *limited_for);
  } else if (waits_for_children) {
    co_await wait_for_children_of(j, token);
  }
  traced.ended(cancel_request       ? "cancelled"
               : failure            ? "failed"
               : delayed_until      ? "delayed"
               : limited_for        ? "rate_limited"
               : waits_for_children ? "waiting_children"
                                    : "completed",
               cancel_request ? std::optional<std::string>("cancelled") : failure);
  state_->running.remove(j.id, token);
  ++processed_;
  co_return next;
}

// Records an outcome. While Redis is away it keeps trying until the lock would have
// expired, closing or not: after that the stalled check owns the job and will run it
// again. Giving up on the way out of a close is not logged (close() says what it hands
// back).
net::awaitable<std::optional<redis::reply>> job_runner::record(const job& j, const char* what,
                                                               scripts::script_call call, bool* unanswered,
                                                               std::optional<error>* refusal) {
  int tries = 0;
  const auto prepared = prepare_script(*call.script, std::move(call.args));  // once for every try
  auto attempt = [&]() -> net::awaitable<redis::reply> {
    ++tries;
    auto r = co_await run_prepared(*state_->conn, prepared);
    if (auto code = r.as_int(); code && *code < 0 && r.is_integer()) {
      throw script_code_error(*code, j.id, call.script->name, "active");
    }
    co_return r;
  };
  const auto deadline = clock::now() + state_->opts.lock_duration;
  auto r = co_await retry_while_redis_away(state_->stop, deadline, on_close::keep_trying, attempt);
  // Only a Redis failure is tried again, so a second try means the first lost its reply.
  const bool lost = !r.value && (tries > 1 || (r.last_error && is_redis_failure(*r.last_error)));
  if (unanswered) *unanswered = lost;
  if (refusal && !r.value && r.last_error && !is_redis_failure(*r.last_error)) *refusal = r.last_error;
  if (!r.value && r.stop == retry_stop::failed) {
    if (lost && !is_redis_failure(*r.last_error)) {
      // Either the first try ran and its reply was lost (the retry finds the lock
      // released), or Redis was away longer than the lock and it expired: only Redis
      // knows which.
      auto check = outcome_recorded(j);  // named: GCC 12 and temporaries in co_await
      const auto recorded = co_await std::move(check);
      spdlog::warn(
          "queue {}: job {} (attempt {}): its {} may have reached Redis unanswered (Redis went away), and "
          "trying again was refused ({}): {}",
          state_->keys.queue(), j.id, j.attempts_made + 1, what, r.last_error->what(),
          !recorded   ? "whether it was recorded cannot be told (the job is no longer active: another "
                        "worker's stalled check may have moved it)"
          : *recorded ? "it was recorded"
                      : "it was not recorded (its lock expired while Redis was away); the stalled check will run "
                        "the job again");
      // Recorded: the outcome is the job's as if answered (counted, its event emitted),
      // with no reply to read; a next job it may have fetched is the caller's to hand back
      // (`unanswered` says so).
      if (recorded && *recorded) co_return redis::reply{};
    } else {
      spdlog::error("queue {}: job {} (attempt {}): cannot record {}: {}", state_->keys.queue(), j.id,
                    j.attempts_made + 1, what, r.last_error->what());
    }
    notify(*state_, "error", state_->events.error, *r.last_error);
  }
  co_return std::move(r.value);
}

net::awaitable<std::optional<bool>> job_runner::outcome_recorded(const job& j) {
  const auto& k = state_->keys;
  std::vector<redis::command> cmds;
  cmds.push_back(redis::command{"HGET", k.job(j.id), "atm"});
  cmds.push_back(redis::command{"HEXISTS", k.job(j.id), "finishedOn"});
  cmds.push_back(redis::command{"ZSCORE", k.delayed, j.id});
  cmds.push_back(redis::command{"LPOS", k.active, j.id});
  try {
    auto replies = co_await state_->conn->exec(std::move(cmds));
    if (replies.size() != 4) co_return std::nullopt;
    for (const auto& r : replies) {
      if (r.is_error()) co_return std::nullopt;
    }
    // A finish counts the attempt or marks the job finished; a retry with backoff or a
    // move to delayed puts it in delayed. Only then was it recorded: a job that merely
    // left active may have been moved back to wait by another worker's stalled check.
    const bool counted = replies[0].as_int().value_or(0) > j.attempts_made;
    const bool finished = replies[1].as_int().value_or(0) == 1;
    const bool delayed = !replies[2].is_nil();
    if (counted || finished || delayed) co_return true;
    if (!replies[3].is_nil()) co_return false;  // still active, unlocked: nothing was recorded
    co_return std::nullopt;
  } catch (const error&) {
    co_return std::nullopt;
  }
}

net::awaitable<std::optional<scripts::fetched>> job_runner::complete(const job& j, const std::string& token,
                                                                     const json::value& result, std::string result_text,
                                                                     bool fetch_next,
                                                                     std::optional<std::string>& cancel_request) {
  const auto& s = *state_;
  const auto finished_on = now_ms();
  auto finish = scripts::move_to_finished::of(s.keys, j, token, true, std::move(result_text), "", fetch_next, s.opts,
                                              finished_on);
  finish.unless_cancelled = true;
  auto call = std::move(finish).pack();
  bool unanswered = false;
  std::optional<error> refusal;
  auto r = co_await record(j, "completion", std::move(call), &unanswered, &refusal);
  if (!r && refusal && refusal->is(errc::pending_children)) {
    // A parent that ran before its children were all done (continueParentOnFailure)
    // cannot complete: the attempt fails, as Node's worker fails it, fetching the next
    // job in the same call as Node's does (without it, an extra "drained" event).
    const std::string reason = refusal->what();
    auto next = co_await fail(j, token, reason, false, fetch_next);
    co_return next;
  }
  if (!r || unanswered) {
    auto hand_back = hand_back_if_fetched(j, token, fetch_next, unanswered);
    co_await std::move(hand_back);
  }
  if (!r) co_return std::nullopt;
  auto outcome = finish.parse(*r);
  // The guard's answer: a cancellation request was waiting, and nothing was recorded.
  if (outcome.cancel_request) {
    cancel_request = std::move(outcome.cancel_request);
    co_return std::nullopt;
  }
  ++completed_;
  if (s.events.completed) notify(s, "completed", s.events.completed, after_completion(j, result, finished_on), result);
  // A recorded finish whose reply was lost fetched nothing this worker knows of (what it
  // may have fetched went back above): no next job, and no "drained" either.
  if (unanswered) co_return std::nullopt;
  co_return std::move(outcome.next);
}

net::awaitable<void> job_runner::hand_back_if_fetched(const job& j, const std::string& token, bool fetch_next,
                                                      bool unanswered) {
  if (!fetch_next || !unanswered) co_return;
  auto hand_back = hand_back_lost_fetch(state_, token, j.id);
  co_await std::move(hand_back);
}

json::array job_runner::stack_traces(const job& j, std::string_view text, bool unrecoverable) const {
  return stack_traces_with(j, text, state_->keys.queue(), unrecoverable);
}

net::awaitable<std::optional<scripts::fetched>> job_runner::fail(const job& j, const std::string& token,
                                                                 const std::string& reason, bool unrecoverable,
                                                                 bool fetch_next) {
  const auto& k = state_->keys;
  const auto& opts = state_->opts;
  auto traces = stack_traces(j, reason, unrecoverable);
  auto fields = scripts::job_fields({"failedReason", reason, "stacktrace", drover::serialize_json(traces)});

  const auto delay = retry_delay(j, reason, unrecoverable, opts, k.queue());
  const auto now = now_ms();
  // Any delay but 0 goes through delayed, as Node's `if (retryDelay)`: a negative one
  // (a negative backoff.delay) too, and the job is promoted at once.
  if (delay && *delay != 0) {
    spdlog::info("queue {}: job {} (attempt {}) failed: {}; retrying in {} ms", k.queue(), j.id, j.attempts_made + 1,
                 reason, *delay);
    auto call = scripts::move_to_delayed::of(k, j.id, token, *delay, std::move(fields), now).pack();
    if (co_await record(j, "retry", std::move(call))) {
      if (state_->events.failed) {
        notify(*state_, "failed", state_->events.failed, after_failed_attempt(j, reason, traces, std::nullopt), reason,
               true);
      }
      co_await carry_cancel_request(j);
    }
  } else if (delay) {
    spdlog::info("queue {}: job {} (attempt {}) failed: {}; retrying now", k.queue(), j.id, j.attempts_made + 1,
                 reason);
    auto call = scripts::retry_job::of(k, j.id, token, j.opts.lifo.value_or(false), std::move(fields), now).pack();
    if (co_await record(j, "retry", std::move(call))) {
      if (state_->events.failed) {
        notify(*state_, "failed", state_->events.failed, after_failed_attempt(j, reason, traces, std::nullopt), reason,
               true);
      }
      co_await carry_cancel_request(j);
    }
  } else {
    spdlog::warn("queue {}: job {} (attempt {}) failed for good: {}", k.queue(), j.id, j.attempts_made + 1, reason);
    const auto finished_on = now_ms();
    auto finish =
        scripts::move_to_finished::of(k, j, token, false, reason, std::move(fields), fetch_next, opts, finished_on);
    // The copy goes in the same atomic call as the failure: a crash cannot keep one
    // without the other, and a repeated call finds the failure recorded and adds nothing.
    std::optional<job> told;  // as the failed callback gets it
    if (state_->events.failed) told = after_failed_attempt(j, reason, traces, finished_on);
    const bool dead_letter = !opts.dead_letter_queue.empty() && wants_dead_letter(opts, j, k.queue());
    if (dead_letter) {
      const detail::queue_keys dead_letters(opts.prefix, opts.dead_letter_queue);
      auto entry = detail::dead_letter_entry(j, k.queue(), opts.name, reason, std::move(traces), finished_on);
      finish.dead_letter = detail::prepare_add(dead_letters, std::move(entry)).call;
      finish.dead_letters_kept = opts.dead_letters_kept;
    }
    auto call = std::move(finish).pack();
    bool unanswered = false;
    auto recorded = co_await record(j, "failure", std::move(call), &unanswered);
    if (!recorded || unanswered) {
      auto hand_back = hand_back_if_fetched(j, token, fetch_next, unanswered);
      co_await std::move(hand_back);
    }
    if (!recorded) co_return std::nullopt;
    ++failed_;
    if (told) notify(*state_, "failed", state_->events.failed, *told, reason, false);
    if (dead_letter) {
      spdlog::info("queue {}: job {} (attempt {}) copied to dead-letter queue {} as {}", k.queue(), j.id,
                   j.attempts_made + 1, opts.dead_letter_queue, detail::dead_letter_id(k.queue(), j.id, finished_on));
    }
    if (unanswered) co_return std::nullopt;  // as in complete()
    co_return finish.parse(*recorded).next;
  }
  co_return std::nullopt;
}

// A request made after the failure's check and before its retry was recorded names the
// attempt that just ended (its atm), and would lapse with it although it was answered
// "signalled": it is made again for the next attempt, as queue::cancel makes one
// (cancelJob then, the job being unlocked in wait or delayed, removeJob; or, when a
// worker took it already, that worker finds a request for its attempt).
net::awaitable<void> job_runner::carry_cancel_request(const job& j) {
  const auto& s = *state_;
  auto request = co_await find_cancel_request(j.id, j.attempts_made);
  if (!request) co_return;
  std::string problem;
  try {
    boost::system::error_code ec;
    auto parsed = drover::parse_json(*request, ec);
    json::object again = !ec && parsed.is_object() ? parsed.get_object() : json::object{};
    again.erase("atm");  // cancelJob adds the job's current one
    auto cancel = cancel_job_now(*s.conn, s.keys, j.id, drover::serialize_json(again));
    co_await std::move(cancel);
  } catch (const error& e) {
    problem = e.what();
  }
  if (!problem.empty()) {
    spdlog::warn("queue {}: job {}: a cancellation made as attempt {} failed is not carried to its retry: {}",
                 s.keys.queue(), j.id, j.attempts_made + 1, problem);
  } else {
    spdlog::info("queue {}: job {}: cancelled as attempt {} failed; its retry is cancelled too", s.keys.queue(), j.id,
                 j.attempts_made + 1);
  }
}

// A processor's move_to_delayed: BullMQ's moveToDelayed without counting the attempt, as
// Node's job.moveToDelayed.
net::awaitable<void> job_runner::put_off(const job& j, const std::string& token, std::int64_t until_ms) {
  const auto now = now_ms();
  auto delay =
      scripts::move_to_delayed::of(state_->keys, j.id, token, std::max<std::int64_t>(0, until_ms - now), "", now);
  delay.skip_attempt = true;
  auto call = std::move(delay).pack();
  co_await record(j, "move to delayed", std::move(call));
}

// A processor's rate_limited: the queue's rate-limited workers are held for the pause, and
// the job goes back to the front of wait (moveJobFromActiveToWait, as Node's worker does
// for a RateLimitError). This worker waits the limiter's time too: the fetcher reads it
// from the answer as from a fetch that met the limit.
net::awaitable<std::optional<scripts::fetched>> job_runner::hold_back(const job& j, const std::string& token,
                                                                      std::chrono::milliseconds pause) {
  const auto& s = *state_;
  std::int64_t ttl = pause.count();
  state_->fetches_held_until =
      std::max(state_->fetches_held_until, std::chrono::steady_clock::now() + std::min(pause, max_rate_limit_wait));
  try {
    auto hold = hold_rate_limited(s.keys, pause);
    co_await s.conn->exec(std::move(hold));
    auto back = scripts::move_job_from_active_to_wait::of(s.keys, j.id, token);
    ttl = std::max(ttl, co_await scripts::run(*s.conn, std::move(back)));
  } catch (const error& e) {
    // Redis is away: the job's lock expires and the stalled check moves it back.
    spdlog::warn("queue {}: job {} (attempt {}) rate limited, but cannot hand it back: {}", s.keys.queue(), j.id,
                 j.attempts_made + 1, e.what());
  }
  spdlog::info("queue {}: job {} rate limited by its processor; back in wait, workers held for {} ms", s.keys.queue(),
               j.id, ttl);
  co_return scripts::fetched{std::nullopt, ttl, 0};
}

// A cancelled job fails for good with the reason "cancelled" (the request's own
// reason goes to the stack trace), is not copied to the dead-letter queue, and loses
// the request, so that retrying it by hand runs it again.
net::awaitable<void> job_runner::fail_cancelled(const job& j, const std::string& token, const std::string& request) {
  const auto& s = *state_;
  const std::string reason(cancelled_reason);
  auto why = cancel_request_reason(request);
  auto traces = stack_traces(j, why.empty() ? reason : fmt::format("{}: {}", reason, why));
  auto fields = scripts::job_fields({"failedReason", reason, "stacktrace", drover::serialize_json(traces)});
  spdlog::info("queue {}: job {} (attempt {}) cancelled{}{}", state_->keys.queue(), j.id, j.attempts_made + 1,
               why.empty() ? "" : ": ", why);
  const auto finished_on = now_ms();
  auto call =
      scripts::move_to_finished::of(s.keys, j, token, false, reason, std::move(fields), false, s.opts, finished_on)
          .pack();
  if (!co_await record(j, "cancellation", std::move(call))) co_return;
  ++failed_;
  if (s.events.failed) {
    notify(s, "failed", s.events.failed, after_failed_attempt(j, reason, traces, finished_on), reason, false);
  }
  redis::command forget{"HDEL", s.keys.job(j.id), std::string(cancel_field)};
  std::string problem;
  try {
    co_await s.conn->exec(std::move(forget));
  } catch (const std::exception& e) {
    problem = e.what();
  }
  if (!problem.empty()) {
    spdlog::warn("queue {}: job {} (attempt {}): cannot clear its cancellation request: {}", state_->keys.queue(), j.id,
                 j.attempts_made + 1, problem);
  }
}

net::awaitable<std::optional<std::string>> job_runner::find_cancel_request(std::string id, std::int64_t attempts_made) {
  const auto& s = *state_;
  redis::command cmd{"HGET", s.keys.job(id), std::string(cancel_field)};
  std::optional<std::string> found;
  try {
    auto r = co_await s.conn->exec(std::move(cmd));
    if (r.is_string() && cancel_request_applies(r.str, attempts_made)) found = std::move(r.str);
  } catch (const error& e) {
    // Recording the outcome will meet the same outage and retry; a request made in
    // this window is the one case a drover worker misses.
    spdlog::warn("queue {}: job {}: cannot check for a cancellation: {}", s.keys.queue(), id, e.what());
  }
  co_return found;
}

}  // namespace drover::detail
