// lost_fetch.cpp - see lost_fetch.hpp. Issue 13: a lost reply after moveToFinished must
// not orphan the job it fetched.
#include "core/worker/lost_fetch.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/redis_retry.hpp"
#include "core/scripts/active_locked_by.hpp"
#include "core/scripts/move_job_from_active_to_wait.hpp"

namespace net = boost::asio;

namespace drover::detail {

net::awaitable<void> hand_back_lost_fetch(std::shared_ptr<worker_state> state, std::string token,
                                          std::string finished_id) {
  const auto& k = state->keys;
  std::vector<std::string> handed_back;
  // Done again whole after a failure: a job already handed back is no longer locked, so
  // the scan does not find it twice.
  auto attempt = [&]() -> net::awaitable<void> {
    auto find = scripts::active_locked_by::of(k, token);
    auto ids = co_await scripts::run(*state->conn, std::move(find));
    for (const auto& id : ids) {
      auto back = scripts::move_job_from_active_to_wait::of(k, id, token);
      co_await scripts::run(*state->conn, std::move(back));
      handed_back.push_back(id);
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + state->opts.lock_duration;
  // A follow-up that may be skipped: the stalled check recovers what it misses.
  auto r = co_await retry_while_redis_away(state->stop, deadline, on_close::give_up, attempt);
  for (const auto& id : handed_back) {
    spdlog::info(
        "queue {}: job {} was locked for this worker by a finish whose reply was lost (job {}); handed "
        "back to wait",
        k.queue(), id, finished_id);
  }
  if (!r.value) {
    spdlog::warn(
        "queue {}: job {}: the reply of its finish was lost, and the job it may have fetched cannot be "
        "handed back ({}); the stalled check will recover it",
        k.queue(), finished_id, r.last_error ? r.last_error->what() : "closing");
  }
}

}  // namespace drover::detail
