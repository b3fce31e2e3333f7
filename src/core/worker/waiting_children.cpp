// waiting_children.cpp - what the job runner does when a processor throws
// wait_for_children (flows): the job waits in waiting-children for the children its
// processor added, as after Node's job.moveToWaitingChildren(token).
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/scripts/move_job_from_active_to_wait.hpp"
#include "core/scripts/move_to_waiting_children.hpp"
#include "core/worker/job_runner.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

// 1. moveToWaitingChildren: with children pending, the job leaves active for
//    waiting-children and its lock is released; the last child to complete moves it to
//    wait, and it runs again.
// 2. Nothing pending (its children finished before it threw): it goes back to wait
//    (moveJobFromActiveToWait) and runs again at once, so that the processor finds them
//    done; Node leaves that case to the processor, which cannot go on after a throw here.
// 3. A child failed under failParentOnFailure (-9): the attempt fails, as the error Node's
//    moveToWaitingChildren throws fails it.
// Otherwise (Redis away, lock lost) the job is left to the stalled check.
net::awaitable<void> job_runner::wait_for_children_of(const job& j, const std::string& token) {
  const auto& s = *state_;
  std::int64_t code = 0;
  std::optional<error> problem;
  try {
    auto call = scripts::move_to_waiting_children::of(s.keys, j.id, token, now_ms());
    code = co_await scripts::run(*s.conn, std::move(call));
  } catch (const error& e) {
    problem = e;
  }
  if (problem && problem->is(errc::pending_children)) {
    const std::string reason = problem->what();  // named: no temporary inside co_await (GCC 12)
    co_await fail(j, token, reason, false);
    co_return;
  }
  if (problem) {
    spdlog::error(
        "queue {}: job {} (attempt {}): cannot move it to waiting-children: {}; the stalled check takes it back",
        s.keys.queue(), j.id, j.attempts_made + 1, problem->what());
    co_return;
  }
  if (code == 0) {
    spdlog::debug("queue {}: job {} waits for its children", s.keys.queue(), j.id);
    co_return;
  }
  spdlog::debug("queue {}: job {} has no pending children; back to wait", s.keys.queue(), j.id);
  auto back = scripts::move_job_from_active_to_wait::of(s.keys, j.id, token).pack();
  co_await record(j, "move back to wait", std::move(back));
}

}  // namespace drover::detail
