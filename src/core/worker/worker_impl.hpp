// worker_impl.hpp - a worker is a few actors on its executor: the fetcher, the job
// runner, the lock renewer, the stalled checker, the cancel watcher and the heartbeat.
// Each owns its state; they share only the table of running jobs and the stop signal
// (worker_state.hpp).
#pragma once

#include <memory>
#include <string>

#include "core/worker/cancel_watcher.hpp"
#include "core/worker/event.hpp"
#include "core/worker/fetcher.hpp"
#include "core/worker/heartbeat.hpp"
#include "core/worker/job_runner.hpp"
#include "core/worker/lock_renewer.hpp"
#include "core/worker/stalled_checker.hpp"
#include "core/worker/worker_state.hpp"
#include "drover/worker.hpp"

namespace drover {

struct worker::impl {
  impl(boost::asio::any_io_executor ex, std::string queue, processor proc, worker_options opts);

  std::shared_ptr<detail::worker_state> state;
  std::shared_ptr<detail::job_runner> runner;
  std::shared_ptr<detail::fetcher> fetcher;
  std::shared_ptr<detail::lock_renewer> lock_renewer;
  std::shared_ptr<detail::stalled_checker> stalled_checker;
  std::shared_ptr<detail::cancel_watcher> cancel_watcher;
  std::shared_ptr<detail::heartbeat> heartbeat;
  bool started = false;
  // close() under way, then done: a second close() waits on close_finished for the
  // first instead of closing (and reporting `closed`) again.
  bool closing = false;
  bool closed = false;
  detail::event close_finished;
};

}  // namespace drover
