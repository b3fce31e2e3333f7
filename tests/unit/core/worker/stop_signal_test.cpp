// stop_signal_test.cpp - the worker's stop signal without Redis: a sleep runs its time
// unless the signal fires, and then it ends at once, however long it was.
#include "core/worker/stop_signal.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <optional>

#include "support/async.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover::detail {
namespace {

using clock = std::chrono::steady_clock;

TEST(stop_signal, a_sleep_runs_its_time_when_nothing_fires) {
  net::io_context io;
  stop_signal stop(io.get_executor());
  std::optional<bool> awake;
  const auto started = clock::now();
  net::co_spawn(io, stop.sleep(50ms), [&](std::exception_ptr, bool a) { awake = a; });
  io.run();
  ASSERT_TRUE(awake.has_value());
  EXPECT_TRUE(*awake);
  EXPECT_GE(clock::now() - started, 50ms);
  EXPECT_FALSE(stop.stopped());
}

TEST(stop_signal, firing_ends_every_sleep_at_once_and_later_ones_do_not_start) {
  net::io_context io;
  stop_signal stop(io.get_executor());
  std::optional<bool> first, second, after;
  net::co_spawn(io, stop.sleep(std::chrono::hours(1)), [&](std::exception_ptr, bool a) { first = a; });
  net::co_spawn(io, stop.sleep(std::chrono::hours(2)), [&](std::exception_ptr, bool a) { second = a; });
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        co_await test::sleep_ms(20);
        stop.fire();
        stop.fire();  // a second fire changes nothing
        after = co_await stop.sleep(std::chrono::hours(1));
      },
      net::detached);
  // Bounded, so that a sleep the signal failed to end fails the test instead of hanging it.
  io.run_for(30s);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(first, false);
  EXPECT_EQ(second, false);
  EXPECT_EQ(after, false);
  EXPECT_TRUE(stop.stopped());
}

}  // namespace
}  // namespace drover::detail
