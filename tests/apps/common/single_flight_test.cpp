// single_flight_test.cpp - callers that ask while a run is in flight share it, its value or
// its exception; a caller after it starts a new run.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <drover_app/single_flight.hpp>

namespace drover::app {
namespace {

namespace net = boost::asio;

struct slow_read {
  net::io_context& io;
  int runs = 0;
  bool fail = false;

  net::awaitable<std::string> operator()() {
    int run = ++runs;
    net::steady_timer wait(io, std::chrono::milliseconds(20));
    co_await wait.async_wait(net::use_awaitable);
    if (fail) throw std::runtime_error("run " + std::to_string(run) + " failed");
    co_return "run " + std::to_string(run);
  }
};

net::awaitable<void> ask(single_flight<std::string>& flight, slow_read& read, std::vector<std::string>& seen) {
  try {
    auto start = [&read] { return read(); };
    auto value = co_await flight.run(std::move(start));
    seen.push_back(std::move(value));
  } catch (const std::exception& e) {
    seen.push_back(std::string("error: ") + e.what());
  }
}

TEST(single_flight, callers_during_a_run_share_its_value) {
  net::io_context io;
  single_flight<std::string> flight(io.get_executor());
  slow_read read{io};
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) net::co_spawn(io, ask(flight, read, seen), net::detached);
  io.run();
  EXPECT_EQ(read.runs, 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"run 1", "run 1", "run 1"}));
  EXPECT_FALSE(flight.in_flight());

  // Asked again once it ended: a new run.
  io.restart();
  net::co_spawn(io, ask(flight, read, seen), net::detached);
  io.run();
  EXPECT_EQ(read.runs, 2);
  EXPECT_EQ(seen.back(), "run 2");
}

TEST(single_flight, callers_during_a_run_share_its_exception) {
  net::io_context io;
  single_flight<std::string> flight(io.get_executor());
  slow_read read{io};
  read.fail = true;
  std::vector<std::string> seen;
  for (int i = 0; i < 2; ++i) net::co_spawn(io, ask(flight, read, seen), net::detached);
  io.run();
  EXPECT_EQ(read.runs, 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"error: run 1 failed", "error: run 1 failed"}));

  // A failed run is not kept: the next caller tries again.
  io.restart();
  read.fail = false;
  net::co_spawn(io, ask(flight, read, seen), net::detached);
  io.run();
  EXPECT_EQ(read.runs, 2);
  EXPECT_EQ(seen.back(), "run 2");
}

}  // namespace
}  // namespace drover::app
