// scheduler_iteration.cpp - keeps job schedulers going: when the worker takes a job that a
// scheduler made (its hash has `rjk`), it adds the scheduler's next job, as Node's worker
// does in nextJobFromJobData. updateJobScheduler only accepts the call from the scheduler's
// current iteration, so two workers (Node or C++) never add the same iteration twice.
#include "core/worker/scheduler_iteration.hpp"

#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/job_scheduler.hpp"
#include "core/scripts/update_job_scheduler.hpp"
#include "core/redis_retry.hpp"
#include "core/script_runner.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover::detail {

net::awaitable<void> schedule_next_iteration(worker_state& state, const job& j) {
  const auto& keys = state.keys;
  const auto& conn = state.conn;
  const std::string& scheduler = *j.repeat_job_key;
  auto attempt = [&]() -> net::awaitable<void> {
    try {
      bool is_scheduler = !has_legacy_repeat_key_shape(scheduler);
      if (!is_scheduler) {
        // A scheduler id may look like a BullMQ 5 repeat key; its hash has `ic`, theirs not.
        redis::command probe{"HEXISTS", keys.key("repeat:" + scheduler), "ic"};
        auto has_ic = co_await conn->exec(std::move(probe));
        is_scheduler = has_ic.as_int().value_or(0) == 1;
      }
      if (!is_scheduler) {
        spdlog::error(
            "queue {}: job {}: cannot add the next iteration of legacy repeatable job '{}': BullMQ 5 repeatable "
            "jobs are not supported; migrate them to job schedulers",
            keys.queue(), j.id, scheduler);
        co_return;
      }
      scheduler_request req;
      req.id = scheduler;
      req.name = j.name;
      req.data = drover::serialize_json(j.data);
      req.opts = j.opts.to_stored();
      if (auto* r = req.opts.if_contains("repeat"); r && r->is_object()) req.repeat = r->get_object();
      std::int64_t prev_millis = 0;
      if (auto* p = req.opts.if_contains("prevMillis"); p && p->is_number()) prev_millis = p->to_number<std::int64_t>();
      auto plan = plan_next_iteration(req, now_ms(), prev_millis);
      if (!plan) co_return;  // limit reached or past the end date: the schedule ends here
      auto update = scripts::update_job_scheduler::of(keys, req, *plan, j.id);
      auto next = co_await scripts::run(*conn, std::move(update));
      if (next) spdlog::debug("queue {}: scheduler {}: next job {}", keys.queue(), scheduler, *next);
    } catch (const error&) {
      throw;
    } catch (const std::exception& e) {
      // Anything else (reading the stored options, planning) is not Redis being away:
      // reported as a script error, and not retried.
      throw error(errc::script_error, e.what());
    }
  };
  // A missed iteration ends the schedule, but it is a follow-up of the job just taken:
  // it is retried while Redis is away, not past close.
  const auto deadline = std::chrono::steady_clock::now() + state.opts.lock_duration;
  auto r = co_await retry_while_redis_away(state.stop, deadline, on_close::give_up, attempt);
  if (!r.value) {
    spdlog::error("queue {}: job {}: failed to add the next iteration of job scheduler '{}': {}", keys.queue(), j.id,
                  scheduler, r.last_error->what());
  }
}

}  // namespace drover::detail
