// async.hpp - runs a coroutine to its end on a fresh io_context, for tests.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <string>

namespace drover::test {

// Runs `f(io)` (a coroutine factory) until it finishes; rethrows what it threw.
template <class F>
void run_async(F&& f) {
  boost::asio::io_context io;
  std::exception_ptr failure;
  bool done = false;
  boost::asio::co_spawn(io, f(io), [&](std::exception_ptr e) {
    failure = e;
    done = true;
    io.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (!done) throw std::runtime_error("coroutine did not finish");
}

inline boost::asio::awaitable<void> sleep_ms(long ms) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(boost::asio::use_awaitable);
}

// A queue name no other test uses.
std::string unique_queue(const std::string& stem);

}  // namespace drover::test

// GoogleTest's ASSERT_* return from the function, which a coroutine cannot do:
// these fail the test and co_return.
#define DROVER_CO_ASSERT_TRUE(cond)        \
  do {                                     \
    if (!(cond)) {                         \
      ADD_FAILURE() << "expected: " #cond; \
      co_return;                           \
    }                                      \
  } while (0)

namespace drover::test {

// Polls `pred` (a coroutine returning bool) every 20 ms until it holds or `timeout` passes.
template <class Pred>
boost::asio::awaitable<bool> eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (co_await pred()) co_return true;
    co_await sleep_ms(20);
  }
  co_return co_await pred();
}

}  // namespace drover::test
