// queue_admin.cpp - managing a queue: pause, resume, remove, retry, promote, drain, clean, obliterate.
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/queue_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

using detail::script_args;
namespace lua = detail::lua;

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
  const auto& k = impl_->keys;
  detail::script_args args1{k.wait, k.paused, k.meta, k.prioritized, k.events, k.delayed, k.marker, "paused", "1"};
  co_await detail::run_script(*impl_->conn, lua::pause,
                              std::move(args1));
}

net::awaitable<void> queue::resume() {
  const auto& k = impl_->keys;
  // A legacy `paused` list (from BullMQ before v6) is merged back in batches.
  bool emit = true;
  for (;;) {
    detail::script_args args2{k.paused, k.wait, k.meta, k.prioritized, k.events, k.delayed, k.marker, "resumed", emit ? "1" : "0"};
    auto r = co_await detail::run_script(
        *impl_->conn, lua::pause,
        std::move(args2));
    emit = false;
    if (r.as_int().value_or(0) <= 0) break;
  }
}

net::awaitable<bool> queue::is_paused() {
  redis::command r_cmd{"HEXISTS", impl_->keys.meta, "paused"};
  auto r = co_await impl_->conn->exec(std::move(r_cmd));
  co_return r.as_int().value_or(0) == 1;
}

net::awaitable<bool> queue::remove(std::string id) {
  const auto& k = impl_->keys;
  // removeJob answers 1 for a job that does not exist too; say "not removed" instead.
  redis::command exists{"EXISTS", k.job(id)};
  if ((co_await impl_->conn->exec(std::move(exists))).as_int().value_or(0) == 0) co_return false;
  detail::script_args args3{k.job(id), k.repeat, id, "1", k.base()};
  auto code = co_await impl_->run_for_code(lua::remove_job, std::move(args3), id);
  co_return code == 1;
}

net::awaitable<void> queue::retry_job(std::string id, std::string state) {
  check_finished_state(state);
  auto j = co_await get_job(id);
  if (!j) throw error(errc::job_not_found, fmt::format("Missing key for job {}. reprocessJob", id));
  const auto& k = impl_->keys;
  detail::script_args args4{k.job(id), k.events, k.state(state), k.wait, k.meta, k.active, k.marker,
                                k.prioritized, k.pc, id, j->opts.lifo.value_or(false) ? "RPUSH" : "LPUSH",
                                state == "failed" ? "failedReason" : "returnvalue", state, "0", "0"};
  co_await impl_->run_for_code(lua::reprocess_job,
                               std::move(args4),
                               id, state);
}

net::awaitable<void> queue::retry_jobs(std::string state) {
  check_finished_state(state);
  const auto& k = impl_->keys;
  auto ts = std::to_string(detail::now_ms());
  for (;;) {
    detail::script_args args5{k.base(), k.events, k.state(state), k.wait, k.paused, k.meta, k.active, k.marker, std::to_string(batch), ts,
         state};
    auto more = co_await impl_->run_for_code(
        lua::move_jobs_to_wait,
        std::move(args5),
        "");
    if (more == 0) break;
  }
}

net::awaitable<void> queue::promote(std::string id) {
  const auto& k = impl_->keys;
  detail::script_args args6{k.delayed, k.wait, k.paused, k.meta, k.prioritized, k.active, k.pc, k.events, k.marker, k.base(), id};
  co_await impl_->run_for_code(
      lua::promote,
      std::move(args6), id,
      "delayed");
}

net::awaitable<void> queue::promote_jobs() {
  const auto& k = impl_->keys;
  for (;;) {
    // Node passes Number.MAX_VALUE: every delayed job is due.
    detail::script_args args7{k.base(), k.events, k.delayed, k.wait, k.paused, k.meta, k.active,
                                              k.marker, std::to_string(batch), "1.7976931348623157e+308", "delayed"};
    auto more = co_await impl_->run_for_code(lua::move_jobs_to_wait,
                                             std::move(args7),
                                             "");
    if (more == 0) break;
  }
}

net::awaitable<void> queue::change_delay(std::string id, std::int64_t delay_ms) {
  if (delay_ms < 0) throw error(errc::invalid_argument, "delay must not be negative");
  const auto& k = impl_->keys;
  detail::script_args args8{k.delayed, k.meta, k.marker, k.events, std::to_string(delay_ms),
                                std::to_string(detail::now_ms()), id, k.job(id)};
  co_await impl_->run_for_code(lua::change_delay,
                               std::move(args8),
                               id, "delayed");
}

net::awaitable<void> queue::drain(bool delayed) {
  const auto& k = impl_->keys;
  detail::script_args args9{k.wait, k.paused, k.delayed, k.prioritized, k.repeat, k.base(), delayed ? "1" : "0"};
  co_await detail::run_script(*impl_->conn, lua::drain,
                              std::move(args9));
}

namespace {

// The key suffix of a state clean() accepts; throws invalid_argument for others.
// Kept out of the coroutine: GCC 12 miscompiles a static array or a reassigned
// parameter inside a coroutine frame (it crashed `drover queue clean`).
std::string clean_state(const std::string& state) {
  static const std::vector<std::string> states{"completed", "failed", "delayed",    "wait",
                                               "waiting",   "active", "paused",     "prioritized"};
  if (std::find(states.begin(), states.end(), state) == states.end()) {
    throw error(errc::invalid_argument, fmt::format("cannot clean jobs in state '{}'", state));
  }
  return state == "waiting" ? std::string("wait") : state;
}

}  // namespace

net::awaitable<std::vector<std::string>> queue::clean(std::chrono::milliseconds grace, std::int64_t limit,
                                                      std::string state) {
  std::string set = clean_state(state);
  const auto& k = impl_->keys;
  const std::int64_t max_count = limit > 0 ? limit : INT64_MAX;
  const std::int64_t per_call = std::min<std::int64_t>(10000, max_count);
  std::string ts = std::to_string(detail::now_ms() - grace.count());
  std::vector<std::string> removed;
  while (static_cast<std::int64_t>(removed.size()) < max_count) {
    detail::script_args args{k.key(set), k.events, k.repeat, k.base(), ts, std::to_string(per_call), set};
    auto r = co_await detail::run_script(*impl_->conn, lua::clean_jobs_in_set, std::move(args));
    for (auto& e : r.elements) removed.push_back(e.as_string());
    if (static_cast<std::int64_t>(r.elements.size()) < per_call) break;
  }
  co_return removed;
}

net::awaitable<void> queue::obliterate(bool force) {
  const auto& k = impl_->keys;
  // As BullMQ's Queue.obliterate: pause first, so that no worker takes another job.
  co_await pause();
  for (;;) {
    detail::script_args args11{k.meta, k.base(), std::to_string(batch), force ? "force" : ""};
    auto r = co_await detail::run_script(*impl_->conn, lua::obliterate,
                                         std::move(args11));
    auto code = r.as_int().value_or(0);
    if (code == -1) throw error(errc::not_in_state, "Cannot obliterate non-paused queue " + name());
    if (code == -2) throw error(errc::not_in_state, "Cannot obliterate queue with active jobs " + name());
    if (code == 0) break;
  }
  // BullMQ's script knows nothing of drover's worker reports; a live worker writes its
  // report again at its next heartbeat, a dead one's would linger a minute.
  redis::command forget_reports{"DEL", k.worker_statuses};
  co_await impl_->conn->exec(std::move(forget_reports));
}

}  // namespace drover
