// stalled_checker.hpp - the worker's actor that puts back the jobs of workers that died.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "core/worker/worker_state.hpp"

namespace drover::detail {

// It shares only the stop signal: what it recovers are other workers' jobs.
// Thread safety: none; use it from the worker's executor.
class stalled_checker : public std::enable_shared_from_this<stalled_checker> {
 public:
  explicit stalled_checker(std::shared_ptr<worker_state> state) : state_(std::move(state)) {}

  // Checks at once, then every stalled_interval until the stop signal.
  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<void> check();

  std::shared_ptr<worker_state> state_;
};

}  // namespace drover::detail
