// lock_renewer.hpp - the worker's actor that keeps the locks of running jobs alive.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

#include "core/worker/worker_state.hpp"

namespace drover::detail {

// It owns nothing but its timing; it marks renewals and lost locks in the running table.
// Thread safety: none; use it from the worker's executor.
class lock_renewer : public std::enable_shared_from_this<lock_renewer> {
 public:
  explicit lock_renewer(std::shared_ptr<worker_state> state) : state_(std::move(state)) {}

  // Renews until the stop signal, and after it while jobs still run (close()'s grace).
  boost::asio::awaitable<void> run();

 private:
  std::chrono::milliseconds renew_time() const;
  // Waits `pause`; false when renewing is over.
  boost::asio::awaitable<bool> next_round(std::chrono::milliseconds pause);

  std::shared_ptr<worker_state> state_;
};

}  // namespace drover::detail
