// blocking_call.hpp - runs blocking work (database calls) on a thread pool and awaits it
// with a deadline, so that a hung database turns into an error, never a hung request.
// Header-only (Asio); shared by the API and the workers.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace drover::app {

// Thrown when the work did not finish in time; it still runs to its end on the pool.
class deadline_exceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

template <class T>
struct call_state {
  explicit call_state(boost::asio::any_io_executor ex) : timer(ex) {}
  boost::asio::steady_timer timer;
  std::optional<T> value;
  std::exception_ptr error;
  bool done = false;
};

struct unit {};

template <class V>
boost::asio::awaitable<V> await_call(std::shared_ptr<call_state<V>> state) {
  boost::system::error_code ec;
  co_await state->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  if (!state->done) throw deadline_exceeded("timed out");
  if (state->error) std::rethrow_exception(state->error);
  co_return std::move(*state->value);
}

template <class V>
boost::asio::awaitable<void> await_void_call(std::shared_ptr<call_state<V>> state) {
  co_await await_call(std::move(state));
}

}  // namespace detail

// Runs fn() on `pool`; returns its result, rethrows its exception, or throws
// deadline_exceeded after `deadline`. Call it from a coroutine on executor `ex`.
//
// Deliberately not a coroutine itself, and callers pass a named lambda: GCC 12 destroys
// a lambda temporary in a co_await full-expression twice (a compiler bug we met here),
// so the work is posted first and only a shared state travels into the coroutine.
template <class F, class R = std::invoke_result_t<std::decay_t<F>&>>
boost::asio::awaitable<R> blocking_call(boost::asio::any_io_executor ex, boost::asio::thread_pool& pool, F&& work,
                                        std::chrono::milliseconds deadline) {
  using value_t = std::conditional_t<std::is_void_v<R>, detail::unit, R>;
  auto state = std::make_shared<detail::call_state<value_t>>(ex);
  state->timer.expires_after(deadline);
  boost::asio::post(pool, [state, fn = std::decay_t<F>(std::forward<F>(work)), ex]() mutable {
    std::optional<value_t> v;
    std::exception_ptr e;
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
        v.emplace();
      } else {
        v.emplace(fn());
      }
    } catch (...) {
      e = std::current_exception();
    }
    // Hand the outcome back on the caller's executor, where the state is read.
    boost::asio::post(ex, [state, v = std::move(v), e]() mutable {
      state->value = std::move(v);
      state->error = e;
      state->done = true;
      state->timer.cancel();
    });
  });
  if constexpr (std::is_void_v<R>) {
    return detail::await_void_call(std::move(state));
  } else {
    return detail::await_call(std::move(state));
  }
}

}  // namespace drover::app
