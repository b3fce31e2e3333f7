// event.hpp - a wake-up that coroutines wait for with a deadline, so that the worker's
// actors learn of a stop or of an emptied running table at once instead of polling.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <vector>

namespace drover::detail {

// Every waiter has a timer of its own set to its deadline; notify_all() cancels them.
// A notice is not remembered: a waiter checks its condition before it waits and again
// after, since a wait may also end at its deadline just as the notice comes.
// Thread safety: none; use it from its executor.
class event {
 public:
  using clock = std::chrono::steady_clock;

  explicit event(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  // Returns at notify_all() or at the deadline (clock::time_point::max(): none).
  boost::asio::awaitable<void> wait_until(clock::time_point deadline);
  void notify_all();

 private:
  boost::asio::any_io_executor ex_;
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace drover::detail
