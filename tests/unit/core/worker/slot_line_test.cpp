// slot_line_test.cpp - a slot budget's line without Redis: slots go to waiters first come
// first served, a freed slot wakes only the first in line, and leaving the line passes
// a free slot on.
#include "core/worker/slot_line.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <optional>

#include "drover/error.hpp"
#include "drover/slot_budget.hpp"

namespace net = boost::asio;

namespace drover::detail {
namespace {

TEST(slot_line, takes_free_slots_then_queues_in_order) {
  net::io_context io;
  slot_line line(2);
  event a(io.get_executor()), b(io.get_executor()), c(io.get_executor());
  EXPECT_TRUE(line.try_take(a));
  EXPECT_TRUE(line.try_take(a));
  EXPECT_EQ(line.in_use(), 2u);
  EXPECT_FALSE(line.contended());
  EXPECT_FALSE(line.try_take(b));
  EXPECT_FALSE(line.try_take(c));
  EXPECT_FALSE(line.try_take(b));  // asking again does not queue twice
  EXPECT_TRUE(line.contended());
  line.release();
  // The freed slot is b's, who came first; c, and a who never queued, wait.
  EXPECT_FALSE(line.try_take(c));
  EXPECT_FALSE(line.try_take(a));
  EXPECT_TRUE(line.try_take(b));
  line.release();
  EXPECT_FALSE(line.try_take(a));
  EXPECT_TRUE(line.try_take(c));
  EXPECT_EQ(line.in_use(), 2u);
}

TEST(slot_line, leaving_the_head_of_the_line_passes_the_slot_on) {
  net::io_context io;
  slot_line line(1);
  event a(io.get_executor()), b(io.get_executor()), c(io.get_executor());
  EXPECT_TRUE(line.try_take(a));
  EXPECT_FALSE(line.try_take(b));
  EXPECT_FALSE(line.try_take(c));
  line.release();
  line.leave(b);  // b went to wait on something else instead
  EXPECT_TRUE(line.try_take(c));
  EXPECT_FALSE(line.contended());
  EXPECT_EQ(line.in_use(), 1u);
}

TEST(slot_line, a_release_wakes_the_first_in_line) {
  net::io_context io;
  slot_line line(1);
  event first(io.get_executor()), second(io.get_executor());
  EXPECT_TRUE(line.try_take(first));
  EXPECT_FALSE(line.try_take(second));
  std::optional<bool> woke;
  net::co_spawn(io, second.wait_until(event::clock::now() + std::chrono::hours(1)),
                [&](std::exception_ptr e) { woke = !e; });
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(woke.has_value());
  line.release();
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(woke, std::optional<bool>(true));
}

TEST(slot_budget, needs_a_slot_and_its_copies_share_it) {
  EXPECT_THROW(slot_budget(0), error);
  slot_budget budget(3);
  slot_budget copy = budget;
  net::io_context io;
  event e(io.get_executor());
  EXPECT_TRUE(copy.line().try_take(e));
  EXPECT_EQ(budget.in_use(), 1u);
  EXPECT_EQ(budget.slots(), 3u);
}

}  // namespace
}  // namespace drover::detail
