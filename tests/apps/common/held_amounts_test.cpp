// held_amounts_test.cpp - amounts held in all and per key, given back by their holdings.
#include "drover_app/held_amounts.hpp"

#include <gtest/gtest.h>

#include <optional>

using drover::app::held_amounts;

TEST(HeldAmounts, CountsInAllAndPerKeyUntilTheHoldingGoes) {
  held_amounts held;
  auto a = held.hold(3, {"ann", "10.0.0.1"});
  auto b = held.hold(2, {"bob", "10.0.0.1"});
  EXPECT_EQ(held.total(), 5u);
  EXPECT_EQ(held.of("ann"), 3u);
  EXPECT_EQ(held.of("10.0.0.1"), 5u);
  EXPECT_EQ(held.of("carl"), 0u);
  a = {};
  EXPECT_EQ(held.total(), 2u);
  EXPECT_EQ(held.of("ann"), 0u);
  EXPECT_EQ(held.of("10.0.0.1"), 2u);
}

TEST(HeldAmounts, AKeyNamedTwiceCountsOnce) {
  held_amounts held;
  auto a = held.hold(4, {"ann", "ann"});
  EXPECT_EQ(held.of("ann"), 4u);
  a = {};
  EXPECT_EQ(held.of("ann"), 0u);
  EXPECT_EQ(held.total(), 0u);
}

TEST(HeldAmounts, AMovedHoldingGivesBackOnce) {
  held_amounts held;
  auto a = held.hold(1, {"ann"});
  held_amounts::holding b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): what a move leaves is the point
  EXPECT_TRUE(b);
  auto c = held.hold(1, {"ann"});
  c = std::move(b);  // c's own is given back, b's is now c's
  EXPECT_EQ(held.of("ann"), 1u);
  EXPECT_EQ(c.amount(), 1u);
  c = {};
  EXPECT_EQ(held.of("ann"), 0u);
  EXPECT_EQ(held.total(), 0u);
}

TEST(HeldAmounts, AHoldingMayOutliveTheTable) {
  std::optional<held_amounts::holding> kept;
  {
    held_amounts held;
    kept = held.hold(7, {"ann"});
  }
  kept.reset();  // gives back to a table only the holding still keeps: no use after free
  SUCCEED();
}
