// lock_extension.hpp - a processor's own lock extension (job_context::extend_lock, Node's
// job.extendLock(token, duration) from inside a processor), kept in step with the worker's
// lock renewer so that its next renewal does not shorten the extended lock.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "core/worker/worker_state.hpp"

namespace drover::detail {

// Renews the lock of running job `id` for `duration` from now, with the token it was
// fetched with. Throws error(lock_missing) when the job no longer runs here or its lock
// is gone or another worker's (then marked lost, as the renewer marks it), and
// error(invalid_argument) for a duration below 1 ms.
boost::asio::awaitable<void> extend_running_lock(worker_state& w, std::string id, std::chrono::milliseconds duration);

}  // namespace drover::detail
