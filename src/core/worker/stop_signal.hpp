// stop_signal.hpp - the one signal that stops a worker's actors: fired by close() (its
// quiet step) or the destructor, it ends every sleep of theirs at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>

#include "core/worker/event.hpp"

namespace drover::detail {

// Thread safety: none; use it from the worker's executor.
class stop_signal {
 public:
  using clock = std::chrono::steady_clock;

  explicit stop_signal(boost::asio::any_io_executor ex) : fired_event_(std::move(ex)) {}

  // Fires it, once and for good; the sleeps in progress return false at once.
  void fire();
  bool stopped() const { return stopped_; }
  // Sleeps for `d` unless the signal fires first. Returns false when it has fired,
  // before the sleep or during it. (This and stopped() make it the owner that
  // retry_while_redis_away expects.)
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d);
  boost::asio::awaitable<bool> sleep_until(clock::time_point t);

 private:
  bool stopped_ = false;
  event fired_event_;
};

}  // namespace drover::detail
