// job_snapshot.hpp - a job and its state, read in the order that never shows a finished
// state without its result or reason.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <utility>

#include <drover/job.hpp>
#include <drover/job_state.hpp>

namespace drover::app {

struct job_snapshot {
  std::optional<job_state> state;  // none: no such job
  std::optional<drover::job> job;  // none: no such job (or removed between the reads)
};

// Reads `id`'s state, then the job, from `jobs` (a drover::queue or an app_queue). The
// state first: the script that finishes a job writes its result or reason and moves it in
// one step, so a job seen finished already holds them. Read the other way round, a job
// finishing between the reads would be reported finished with neither. A job finishing
// between these two reads shows its result beside the older state; the next read has both.
template <class Queue>
boost::asio::awaitable<job_snapshot> read_job_snapshot(Queue& jobs, std::string id) {
  // Named awaitables: GCC 12 and temporaries inside co_await (docs/contributing.md).
  auto get_state = jobs.get_job_state(id);
  std::optional<job_state> state = co_await std::move(get_state);
  auto get_job = jobs.get_job(std::move(id));
  std::optional<drover::job> j = co_await std::move(get_job);
  co_return job_snapshot{state, std::move(j)};
}

}  // namespace drover::app
