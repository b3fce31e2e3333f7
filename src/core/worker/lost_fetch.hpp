// lost_fetch.hpp - what the job runner does when the reply of a finish that fetched the
// next job was lost: it finds that job and hands it back to wait.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "core/worker/worker_state.hpp"

namespace drover::detail {

// moveToFinished with fetchNext moves the next job to active locked with the finishing
// job's token, in the same call. When Redis ran that call but its reply was lost, no one
// knows the job, and it would stay in active until its lock expired and the stalled
// check moved it back, spending its one allowed stall. This finds the jobs in active
// locked with `token` (activeLockedBy) and hands each back to wait
// (moveJobFromActiveToWait), where a worker takes it at once.
//
// Only this slot's chain of jobs ever holds `token` (job_runner::next_token: the worker's
// random id and a sequence number; a fetched job inherits its finisher's token), and none
// of them runs now, so whatever it finds is ours to give back: the fetched job, or the
// finished job itself when its finish never ran (it then runs again: at least once).
// Retries while Redis is away for one lock duration (after it the locks have expired and
// the stalled check owns the jobs), but not past close; failures are logged, not thrown.
// `finished_id` names the finishing job in log lines.
boost::asio::awaitable<void> hand_back_lost_fetch(std::shared_ptr<worker_state> state, std::string token,
                                                  std::string finished_id);

}  // namespace drover::detail
