// job_runner.cpp - runs one job and records how it ended: completed, retried, or failed.
//
// The retry decision is the worker's, as in BullMQ: retry while attemptsMade + 1 <
// attempts and the error is recoverable, after the job's backoff delay.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <atomic>
#include <spdlog/spdlog.h>

#include "core/msgpack.hpp"
#include "core/script_errors.hpp"
#include "core/clock.hpp"
#include "core/worker_impl.hpp"
#include "drover/backoff.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace {

using detail::script_args;
namespace lua = detail::lua;

class async_context final : public job_context {
 public:
  async_context(worker::impl& w, const drover::job& j, const std::atomic<bool>& cancelled)
      : w_(w), job_(j), cancelled_(cancelled) {}
  const drover::job& job() const override { return job_; }
  bool cancelled() const override { return cancelled_.load(); }
  net::awaitable<void> update_progress(json::value progress) override {
    const auto& k = w_.keys;
    script_args args{k.job(job_.id), k.events, k.meta, job_.id, json::serialize(progress)};
    auto r = co_await detail::run_script(*w_.conn, lua::update_progress, std::move(args));
    if (auto code = r.as_int(); code && *code < 0) throw detail::script_code_error(*code, job_.id, "updateProgress");
  }
  net::awaitable<void> log(std::string line) override {
    const auto& k = w_.keys;
    auto keep = job_.opts.keep_logs ? std::to_string(*job_.opts.keep_logs) : std::string();
    script_args args{k.job(job_.id), k.logs(job_.id), job_.id, std::move(line), std::move(keep)};
    auto r = co_await detail::run_script(*w_.conn, lua::add_log, std::move(args));
    if (auto code = r.as_int(); code && *code < 0) throw detail::script_code_error(*code, job_.id, "addLog");
  }

 private:
  worker::impl& w_;
  const drover::job& job_;
  const std::atomic<bool>& cancelled_;
};

// Runs on a pool thread; each call hops to the worker's executor and waits there.
class pool_context final : public blocking_job_context {
 public:
  pool_context(worker::impl& w, const drover::job& j, const std::atomic<bool>& cancelled)
      : inner_(w, j, cancelled), ex_(w.ex) {}
  const drover::job& job() const override { return inner_.job(); }
  bool cancelled() const override { return inner_.cancelled(); }
  void update_progress(json::value progress) override {
    net::co_spawn(ex_, inner_.update_progress(std::move(progress)), net::use_future).get();
  }
  void log(std::string line) override { net::co_spawn(ex_, inner_.log(std::move(line)), net::use_future).get(); }

 private:
  async_context inner_;
  net::any_io_executor ex_;
};

// removeOnComplete/removeOnFail as the keepJobs object moveToFinished expects.
json::object keep_jobs(const json::value& job_option, const json::value& worker_option) {
  const json::value& v = job_option.is_null() ? worker_option : job_option;
  if (v.is_bool()) return {{"count", v.get_bool() ? 0 : -1}};
  if (v.is_number()) return {{"count", v.to_number<std::int64_t>()}};
  if (v.is_object()) {
    json::object o = v.get_object();
    if (!o.contains("count")) o["count"] = -1;  // the script reads count unconditionally
    return o;
  }
  return {{"count", -1}};
}

std::string pack_fields(std::initializer_list<std::string_view> fv) {
  detail::msgpack_writer w;
  w.array(static_cast<std::uint32_t>(fv.size()));
  for (auto f : fv) w.str(f);
  return w.take();
}

// moveToFinished collects metrics only when maxMetricsSize is not "".
void metrics_size(detail::msgpack_writer& o, const worker_options& opts) {
  o.str("maxMetricsSize");
  if (opts.metrics_max_data_points > 0) {
    o.integer(opts.metrics_max_data_points);
  } else {
    o.str("");
  }
}

}  // namespace

// One run of a processor, shared by the job runner and the processor's coroutine, which
// may outlive the runner's interest in it (after a timeout).
struct worker::impl::processor_run {
  processor_run(net::any_io_executor ex, const job& jb) : finished(ex), j(jb) {}
  net::steady_timer finished;  // cancelled when the processor returns or throws
  job j;
  std::atomic<bool> cancelled{false};
  bool done = false;
  json::value result;
  std::exception_ptr error;
  net::cancellation_signal stop;
};

net::awaitable<json::value> worker::impl::call_processor(std::shared_ptr<processor_run> run) {
  if (proc.async_) {
    async_context ctx(*this, run->j, run->cancelled);
    co_return co_await proc.async_(ctx);
  }
  auto fn = proc.blocking_;
  auto* self = this;
  auto on_pool = [fn, self, run]() -> net::awaitable<json::value> {
    pool_context ctx(*self, run->j, run->cancelled);
    co_return fn(ctx);
  };
  co_return co_await net::co_spawn(pool->get_executor(), std::move(on_pool), net::use_awaitable);
}

net::awaitable<void> worker::impl::run_job(job j, std::string token) {
  auto self = shared_from_this();
  std::optional<std::string> failure;
  bool unrecoverable = false;
  json::value result;
  if (j.deferred_failure) {
    failure = *j.deferred_failure;
    unrecoverable = true;
  } else {
    auto run = std::make_shared<processor_run>(ex, j);
    // The processor runs as its own coroutine so that a timeout can give up on it
    // (and cancel what it waits for) without waiting for it to notice.
    net::co_spawn(ex, call_processor(run),
                  net::bind_cancellation_slot(run->stop.slot(), [run](std::exception_ptr e, json::value v) {
                    run->done = true;
                    run->error = e;
                    run->result = std::move(v);
                    run->finished.cancel();
                  }));
    if (j.opts.timeout && *j.opts.timeout > 0) {
      run->finished.expires_after(std::chrono::milliseconds(*j.opts.timeout));
    } else {
      run->finished.expires_at(clock::time_point::max());
    }
    boost::system::error_code ec;
    co_await run->finished.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (!run->done) {
      run->cancelled = true;
      run->stop.emit(net::cancellation_type::terminal);
      failure = fmt::format("job timed out after {} ms", *j.opts.timeout);
    } else if (run->error) {
      try {
        std::rethrow_exception(run->error);
      } catch (const unrecoverable_error& e) {
        failure = e.what();
        unrecoverable = true;
      } catch (const std::exception& e) {
        failure = e.what();
      } catch (...) {
        failure = "unknown error";
      }
    } else {
      result = std::move(run->result);
    }
  }
  if (failure) {
    co_await fail(j, token, *failure, unrecoverable);
  } else {
    co_await complete(j, token, result);
  }
  running.erase(j.id);
  ++processed;
  wake();
}

// Records an outcome. While Redis is away it keeps trying until the lock would have
// expired: after that the stalled check owns the job and will run it again.
net::awaitable<void> worker::impl::record(const job& j, const char* what, const lua::script& s, script_args args) {
  auto give_up = clock::now() + opts.lock_duration;
  std::chrono::milliseconds pause{100};
  for (;;) {
    try {
      auto r = co_await detail::run_script(*conn, s, args);
      if (auto code = r.as_int(); code && *code < 0 && r.is_integer()) {
        throw detail::script_code_error(*code, j.id, s.name, "active");
      }
      co_return;
    } catch (const error& e) {
      if (!is_redis_failure(e) || clock::now() + pause > give_up) {
        spdlog::error("queue {}: job {} (attempt {}): cannot record {}: {}", keys.queue(), j.id,
                      j.attempts_made + 1, what, e.what());
        co_return;
      }
    }
    co_await sleep(pause);
    if (closing && clock::now() + pause > give_up) co_return;
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

// moveToFinished's keys and arguments, packed as Node's worker packs them; `fields`
// is the msgpacked list of extra job fields ("" for none).
script_args worker::impl::move_to_finished_args(const job& j, const std::string& token, bool completed,
                                                std::string value, std::string fields) const {
  const auto& k = keys;
  detail::msgpack_writer o;
  o.map(7).str("token").str(token);
  o.str("keepJobs").json(completed ? keep_jobs(j.opts.remove_on_complete, opts.remove_on_complete)
                                   : keep_jobs(j.opts.remove_on_fail, opts.remove_on_fail));
  o.str("lockDuration").integer(opts.lock_duration.count());
  o.str("attempts").integer(j.opts.attempts.value_or(0));
  metrics_size(o, opts);
  o.str("name").str(opts.name);
  o.str("fpof").boolean(false);
  const char* target = completed ? "completed" : "failed";
  return {k.wait,
          k.active,
          k.prioritized,
          k.events,
          k.stalled,
          k.limiter,
          k.delayed,
          k.paused,
          k.meta,
          k.pc,
          completed ? k.completed : k.failed,
          k.job(j.id),
          k.key(std::string("metrics:") + target),
          k.marker,
          j.id,
          std::to_string(detail::now_ms()),
          completed ? "returnvalue" : "failedReason",
          std::move(value),
          target,
          "0",
          k.base(),
          o.take(),
          std::move(fields)};
}

net::awaitable<void> worker::impl::complete(const job& j, const std::string& token, const json::value& result) {
  auto args = move_to_finished_args(j, token, true, json::serialize(result), "");
  co_await record(j, "completion", lua::move_to_finished, std::move(args));
}

net::awaitable<void> worker::impl::fail(const job& j, const std::string& token, const std::string& reason,
                                        bool unrecoverable) {
  const auto& k = keys;
  // BullMQ keeps one stack trace per failed attempt; C++ exceptions carry no stack,
  // so the entry names the error and the job.
  json::array traces;
  for (const auto& s : j.stacktrace) traces.emplace_back(s);
  traces.emplace_back(fmt::format("Error: {}\n    at {} (drover worker, queue {})", reason, j.name, k.queue()));
  if (j.opts.stack_trace_limit) {
    auto limit = static_cast<std::size_t>(std::max<std::int64_t>(0, *j.opts.stack_trace_limit));
    while (traces.size() > limit) traces.erase(traces.begin());
  }
  auto fields = pack_fields({"failedReason", reason, "stacktrace", json::serialize(traces)});

  const auto attempts = j.opts.attempts.value_or(0);
  std::optional<std::int64_t> delay;
  if (!unrecoverable && j.attempts_made + 1 < attempts) {
    delay = j.opts.backoff ? backoff_delay(*j.opts.backoff, j.attempts_made + 1) : std::int64_t{0};
    if (!delay) {
      spdlog::error("queue {}: job {}: unknown backoff type '{}'; failing it", k.queue(), j.id, j.opts.backoff->type);
    }
  }
  auto now = std::to_string(detail::now_ms());
  if (delay && *delay > 0) {
    spdlog::info("queue {}: job {} failed attempt {} ({}); retrying in {} ms", k.queue(), j.id, j.attempts_made + 1,
                 reason, *delay);
    script_args args{k.marker, k.active, k.prioritized, k.delayed, k.job(j.id), k.events, k.meta, k.stalled, k.wait,
                     k.limiter, k.pc, k.base(), now, j.id, token, std::to_string(*delay), "0", fields, "0", ""};
    co_await record(j, "retry", lua::move_to_delayed, std::move(args));
  } else if (delay) {
    spdlog::info("queue {}: job {} failed attempt {} ({}); retrying now", k.queue(), j.id, j.attempts_made + 1, reason);
    script_args args{k.active, k.wait, k.paused, k.job(j.id), k.meta, k.events, k.delayed, k.prioritized, k.pc,
                     k.marker, k.stalled, k.base(), now, j.opts.lifo.value_or(false) ? "RPUSH" : "LPUSH", j.id, token,
                     fields};
    co_await record(j, "retry", lua::retry_job, std::move(args));
  } else {
    spdlog::warn("queue {}: job {} failed after {} attempt(s): {}", k.queue(), j.id, j.attempts_made + 1, reason);
    auto args = move_to_finished_args(j, token, false, reason, fields);
    co_await record(j, "failure", lua::move_to_finished, std::move(args));
  }
}

}  // namespace drover
