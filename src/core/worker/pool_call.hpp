// pool_call.hpp - runs a function on a thread pool and hands its result straight back to
// the awaiting coroutine's executor.
//
// Not co_spawn on the pool: Asio 1.81's co_spawn posts one more step onto the spawn
// executor after the function returns, so with more blocking jobs than pool threads a
// finished job's result waited behind every job queued on the pool (it timed out, or
// close() handed it back to wait, although it had finished in time).
#pragma once

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <utility>

namespace drover::detail {

// Completes `token` with (exception_ptr, result of fn()) on the token's associated
// executor, posted from the pool thread the moment fn returns or throws. That executor is
// kept busy (outstanding work) until then, as co_spawn did. The operation cannot be
// cancelled: a pool thread cannot be interrupted (the function polls a flag instead).
template <typename R, typename Fn, typename Token>
auto run_on_pool(boost::asio::thread_pool& pool, Fn fn, Token&& token) {
  namespace net = boost::asio;
  auto initiate = [&pool](auto handler, Fn f) {
    auto work = net::make_work_guard(net::get_associated_executor(handler));
    net::post(pool, [handler = std::move(handler), f = std::move(f), work = std::move(work)]() mutable {
      std::exception_ptr error;
      R result{};
      try {
        result = f();
      } catch (...) {
        error = std::current_exception();
      }
      auto ex = work.get_executor();
      net::post(ex, net::append(std::move(handler), error, std::move(result)));
      work.reset();
    });
  };
  return net::async_initiate<Token, void(std::exception_ptr, R)>(std::move(initiate), token, std::move(fn));
}

}  // namespace drover::detail
