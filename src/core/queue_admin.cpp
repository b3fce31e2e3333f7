// queue_admin.cpp - managing a queue: pause, resume, remove, retry, promote, drain, clean, obliterate.
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/queue_impl.hpp"
#include "core/scripts/change_delay.hpp"
#include "core/scripts/change_priority.hpp"
#include "core/scripts/clean_jobs_in_set.hpp"
#include "core/scripts/drain.hpp"
#include "core/scripts/move_jobs_to_wait.hpp"
#include "core/scripts/obliterate.hpp"
#include "core/scripts/pause.hpp"
#include "core/scripts/promote.hpp"
#include "core/scripts/remove_job.hpp"
#include "core/scripts/reprocess_job.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

namespace scripts = detail::scripts;

namespace {

// How many jobs one script call moves or deletes; the caller loops for the rest
// so that no single call blocks Redis for long.
constexpr int batch = 1000;

void check_finished_state(std::string_view state) {
  if (state != "failed" && state != "completed") {
    throw error(errc::invalid_argument, fmt::format("can only retry failed or completed jobs, not '{}'", state));
  }
}

}  // namespace

net::awaitable<void> queue::pause() {
  co_await detail::write_version_once(*impl_);
  auto call = scripts::pause::of(impl_->keys, true);
  co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::resume() {
  // A legacy `paused` list (from BullMQ before v6) is merged back in batches.
  bool emit = true;
  for (;;) {
    auto call = scripts::pause::of(impl_->keys, false, emit);
    auto left = co_await scripts::run(*impl_->conn, std::move(call));
    emit = false;
    if (left <= 0) break;
  }
}

net::awaitable<bool> queue::is_paused() {
  redis::command r_cmd{"HEXISTS", impl_->keys.meta, "paused"};
  auto r = co_await impl_->conn->exec(std::move(r_cmd));
  // An error (NOAUTH, say) is not "not paused": readiness checks rely on this read.
  redis::expect_no_error(r, "HEXISTS " + impl_->keys.meta);
  co_return r.as_int().value_or(0) == 1;
}

net::awaitable<bool> queue::remove(std::string id) {
  const auto& k = impl_->keys;
  if (detail::names_queue_key(id)) co_return false;  // the queue's own key, no job's
  // removeJob answers 1 for a job that does not exist too; say "not removed" instead. A
  // key of another type is none of a job's hashes (job 1's ":logs" list, say), nor a hash
  // without a creation time (a scheduler's, the metrics': read_job says why).
  redis::command has_timestamp{"HEXISTS", k.job(id), "timestamp"};
  auto found = co_await impl_->conn->exec(std::move(has_timestamp));
  if (found.is_error() && found.str.starts_with("WRONGTYPE")) co_return false;
  redis::expect_no_error(found, "HEXISTS " + k.job(id));
  if (found.as_int().value_or(0) != 1) co_return false;
  auto call = scripts::remove_job::of(k, std::move(id));
  co_return co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::retry_job(std::string id, std::string state) {
  check_finished_state(state);
  auto j = co_await get_job(id);
  if (!j) throw error(errc::job_not_found, fmt::format("Missing key for job {}. reprocessJob", id));
  auto call = scripts::reprocess_job::of(impl_->keys, std::move(id), std::move(state), j->opts.lifo.value_or(false));
  co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::retry_jobs(std::string state) {
  check_finished_state(state);
  auto ts = std::to_string(detail::now_ms());
  for (;;) {
    auto call = scripts::move_jobs_to_wait::of(impl_->keys, state, batch, ts);
    bool more = co_await scripts::run(*impl_->conn, std::move(call));
    if (!more) break;
  }
}

net::awaitable<void> queue::promote(std::string id) {
  detail::refuse_queue_key(id, "promote");
  auto call = scripts::promote::of(impl_->keys, std::move(id));
  co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::promote_jobs() {
  for (;;) {
    // Node passes Number.MAX_VALUE: every delayed job is due.
    auto call = scripts::move_jobs_to_wait::of(impl_->keys, "delayed", batch, "1.7976931348623157e+308");
    bool more = co_await scripts::run(*impl_->conn, std::move(call));
    if (!more) break;
  }
}

net::awaitable<void> queue::change_delay(std::string id, std::int64_t delay_ms) {
  detail::refuse_queue_key(id, "changeDelay");
  if (delay_ms < 0) throw error(errc::invalid_argument, "delay must not be negative");
  auto call = scripts::change_delay::of(impl_->keys, std::move(id), delay_ms, detail::now_ms());
  co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::change_priority(std::string id, std::int64_t priority, bool lifo) {
  detail::refuse_queue_key(id, "changePriority");
  // The bound job_options has for a new job (2^21 - 1, as BullMQ).
  if (priority < 0 || priority > 2097151) {
    throw error(errc::invalid_argument, fmt::format("priority must be between 0 and 2097151, not {}", priority));
  }
  auto call = scripts::change_priority::of(impl_->keys, std::move(id), priority, lifo);
  co_await scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::clear_logs(std::string id, std::int64_t keep) {
  detail::refuse_queue_key(id, "clearLogs");
  if (keep < 0) throw error(errc::invalid_argument, "the number of log lines to keep must not be negative");
  const auto logs = impl_->keys.job(id) + ":logs";
  redis::command clear =
      keep > 0 ? redis::command{"LTRIM", logs, std::to_string(-keep), "-1"} : redis::command{"DEL", logs};
  auto r = co_await impl_->conn->exec(std::move(clear));
  redis::expect_no_error(r, "trimming " + logs);
}

net::awaitable<void> queue::drain(bool delayed) {
  auto call = scripts::drain::of(impl_->keys, delayed);
  co_await scripts::run(*impl_->conn, std::move(call));
}

namespace {

// The key suffix of a state clean() accepts; throws invalid_argument for others.
// Kept out of the coroutine: GCC 12 miscompiles a static array or a reassigned
// parameter inside a coroutine frame (it crashed `drover queue clean`).
std::string clean_state(const std::string& state) {
  static const std::vector<std::string> states{"completed", "failed", "delayed", "wait",
                                               "waiting",   "active", "paused",  "prioritized"};
  if (std::find(states.begin(), states.end(), state) == states.end()) {
    throw error(errc::invalid_argument, fmt::format("cannot clean jobs in state '{}'", state));
  }
  return state == "waiting" ? std::string("wait") : state;
}

}  // namespace

net::awaitable<std::vector<std::string>> queue::clean(std::chrono::milliseconds grace, std::int64_t limit,
                                                      std::string state) {
  std::string set = clean_state(state);
  const std::int64_t max_count = limit > 0 ? limit : INT64_MAX;
  const std::int64_t per_call = std::min<std::int64_t>(10000, max_count);
  const std::int64_t ts = detail::now_ms() - grace.count();
  std::vector<std::string> removed;
  while (static_cast<std::int64_t>(removed.size()) < max_count) {
    auto call = scripts::clean_jobs_in_set::of(impl_->keys, set, ts, per_call);
    auto ids = co_await scripts::run(*impl_->conn, std::move(call));
    removed.insert(removed.end(), ids.begin(), ids.end());
    if (static_cast<std::int64_t>(ids.size()) < per_call) break;
  }
  co_return removed;
}

net::awaitable<void> queue::obliterate(bool force) {
  const auto& k = impl_->keys;
  // As BullMQ's Queue.obliterate: pause first, so that no worker takes another job.
  co_await pause();
  using outcome = scripts::obliterate::result;
  for (;;) {
    auto call = scripts::obliterate::of(k, batch, force);
    auto r = co_await scripts::run(*impl_->conn, std::move(call));
    if (r == outcome::not_paused) throw error(errc::not_in_state, "Cannot obliterate non-paused queue " + name());
    if (r == outcome::active_jobs)
      throw error(errc::not_in_state, "Cannot obliterate queue with active jobs " + name());
    if (r == outcome::done) break;
  }
  // BullMQ's script knows nothing of drover's worker reports; a live worker writes its
  // report again at its next heartbeat, a dead one's would linger a minute.
  // Nor of the requeues of its dead letters (requeueDeadLetter-15.lua).
  redis::command forget_reports{"DEL", k.worker_statuses, k.key("drover:requeued")};
  auto r = co_await impl_->conn->exec(std::move(forget_reports));
  redis::expect_no_error(r, "DEL " + k.worker_statuses);
}

}  // namespace drover
