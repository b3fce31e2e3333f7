// scheduler_iteration.hpp - what the fetcher does with a job a job scheduler made: adds
// the scheduler's next job, as Node's worker does.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "core/worker/worker_state.hpp"
#include "drover/job.hpp"

namespace drover::detail {

// Adds the next job of the scheduler that made `j` (its `rjk`), retrying while Redis is
// away but not past the stop signal; a failure is logged, not thrown. Await it at once:
// it refers to both arguments.
boost::asio::awaitable<void> schedule_next_iteration(worker_state& state, const job& j);

}  // namespace drover::detail
