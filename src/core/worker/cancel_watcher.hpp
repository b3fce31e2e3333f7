// cancel_watcher.hpp - the worker's actor that notices cancellation requests
// (queue::cancel) for the jobs it runs and has the job runner stop their processors.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "core/worker/job_runner.hpp"
#include "core/worker/worker_state.hpp"

namespace drover::detail {

// It owns nothing but its timing; it asks the job runner which processors run and
// tells it which to stop.
// Thread safety: none; use it from the worker's executor.
class cancel_watcher : public std::enable_shared_from_this<cancel_watcher> {
 public:
  cancel_watcher(std::shared_ptr<worker_state> state, std::shared_ptr<job_runner> runner)
      : state_(std::move(state)), runner_(std::move(runner)) {}

  // Watches until the stop signal has fired and no job runs any more.
  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<void> check();

  std::shared_ptr<worker_state> state_;
  std::shared_ptr<job_runner> runner_;
};

}  // namespace drover::detail
