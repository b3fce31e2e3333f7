// single_flight.hpp - one run of a costly read at a time, its result shared by every caller
// that asks while it runs.
//
// Every open dashboard asks for the overview each second, and the overview reads every
// queue's counts after a keyspace scan (queue_discovery): when a read outlasts the
// overview's cache, each tick would start one more beside those still running. With this,
// they wait for the one in flight (the overview, and queue_discovery's scan).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace drover::app {

// Thread safety: one executor.
template <class T>
class single_flight {
 public:
  explicit single_flight(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  // Awaits `start()` (a function returning awaitable<T>), unless a run is in flight: then
  // awaits that run's result, or its exception. `start` must not take references to the
  // caller's temporaries (contributing.md, coroutine rules).
  template <class Start>
  boost::asio::awaitable<T> run(Start start) {
    if (auto joined = current_) {
      boost::system::error_code ignored;  // the timer is cancelled when the run ends
      co_await joined->done.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
      co_return joined->result();
    }
    auto led = std::make_shared<flight>(ex_);
    current_ = led;
    try {
      auto work = start();
      led->value = co_await std::move(work);
    } catch (...) {
      led->error = std::current_exception();
    }
    current_.reset();
    led->done.cancel();
    co_return led->result();
  }

  bool in_flight() const { return current_ != nullptr; }

 private:
  struct flight {
    explicit flight(const boost::asio::any_io_executor& ex) : done(ex, boost::asio::steady_timer::time_point::max()) {}
    T result() const {
      if (error) std::rethrow_exception(error);
      return *value;
    }
    boost::asio::steady_timer done;
    std::optional<T> value;
    std::exception_ptr error;
  };

  boost::asio::any_io_executor ex_;
  std::shared_ptr<flight> current_;
};

}  // namespace drover::app
