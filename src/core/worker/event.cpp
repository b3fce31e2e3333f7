// event.cpp - see event.hpp.
#include "core/worker/event.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace net = boost::asio;

namespace drover::detail {

namespace {

// Takes a waiter off the list however its wait ends, the frame's destruction included
// (an io_context destroyed with the wait pending).
struct listed {
  std::vector<net::steady_timer*>& waiters;
  net::steady_timer* timer;
  ~listed() { std::erase(waiters, timer); }
};

}  // namespace

net::awaitable<void> event::wait_until(clock::time_point deadline) {
  net::steady_timer t(ex_, deadline);
  waiters_.push_back(&t);
  listed on_list{waiters_, &t};
  boost::system::error_code ec;  // operation_aborted: notified
  co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
}

void event::notify_all() {
  for (auto* t : waiters_) t->cancel();
}

}  // namespace drover::detail
