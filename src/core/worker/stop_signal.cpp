// stop_signal.cpp - see stop_signal.hpp.
#include "core/worker/stop_signal.hpp"

namespace net = boost::asio;

namespace drover::detail {

void stop_signal::fire() {
  if (stopped_) return;
  stopped_ = true;
  fired_event_.notify_all();
}

net::awaitable<bool> stop_signal::sleep(std::chrono::milliseconds d) {
  const auto until = clock::now() + d;
  co_return co_await sleep_until(until);
}

net::awaitable<bool> stop_signal::sleep_until(clock::time_point t) {
  if (stopped_) co_return false;
  // Only fire() notifies: the wait ends at the deadline or because the signal fired.
  co_await fired_event_.wait_until(t);
  co_return !stopped_;
}

}  // namespace drover::detail
