// upload_budget_test.cpp - the in-flight body budget, without sockets.
#include "httpd/upload_budget.hpp"

#include <gtest/gtest.h>

using drover::httpd::upload_budget;

TEST(UploadBudget, ReservesWhatFitsAndReleasesOnDestruction) {
  upload_budget budget(1000);
  upload_budget::reservation a, b, c;
  EXPECT_TRUE(budget.try_reserve(800, a));
  EXPECT_FALSE(budget.try_reserve(201, b));
  EXPECT_EQ(b.amount(), 0u);
  EXPECT_TRUE(budget.try_reserve(200, b));
  EXPECT_EQ(budget.used(), 1000u);
  EXPECT_TRUE(budget.try_reserve(0, c));  // a request without a body always fits
  a = {};
  EXPECT_EQ(budget.used(), 200u);
  EXPECT_TRUE(budget.try_reserve(800, c));
  EXPECT_FALSE(budget.try_reserve(1, a));
}

TEST(UploadBudget, MovedReservationsReleaseOnce) {
  upload_budget budget(100);
  upload_budget::reservation a;
  ASSERT_TRUE(budget.try_reserve(60, a));
  upload_budget::reservation b(std::move(a));
  upload_budget::reservation c;
  ASSERT_TRUE(budget.try_reserve(40, c));
  c = std::move(b);
  EXPECT_EQ(budget.used(), 60u);
  c = {};
  EXPECT_EQ(budget.used(), 0u);
}

TEST(UploadBudget, ZeroMeansNoLimitAndHugeRequestsDoNotOverflow) {
  upload_budget unlimited(0);
  upload_budget::reservation a;
  EXPECT_TRUE(unlimited.try_reserve(std::size_t(1) << 40, a));
  upload_budget small(10);
  upload_budget::reservation b, c;
  EXPECT_TRUE(small.try_reserve(5, b));
  EXPECT_FALSE(small.try_reserve(static_cast<std::size_t>(-1), c));
}

TEST(UploadBudget, EachOwnerHoldsAtMostItsShare) {
  upload_budget budget(1000, 400);
  upload_budget::reservation a, b, c, d;
  EXPECT_EQ(budget.try_reserve(300, {"address 1", "user ann"}, a), upload_budget::verdict::reserved);
  EXPECT_EQ(budget.try_reserve(200, {"address 1", "user bob"}, b), upload_budget::verdict::owner_full);
  EXPECT_EQ(budget.try_reserve(200, {"address 2", "user ann"}, b), upload_budget::verdict::owner_full);
  EXPECT_EQ(b.amount(), 0u);
  EXPECT_EQ(budget.try_reserve(400, {"address 2", "user bob"}, b), upload_budget::verdict::reserved);
  EXPECT_EQ(budget.try_reserve(300, {"address 3"}, c), upload_budget::verdict::reserved);
  EXPECT_EQ(budget.try_reserve(100, {"address 4"}, d), upload_budget::verdict::budget_full);
  EXPECT_EQ(budget.used_by("user ann"), 300u);
  a = {};
  EXPECT_EQ(budget.used_by("user ann"), 0u);
  EXPECT_EQ(budget.used_by("address 1"), 0u);
  EXPECT_EQ(budget.try_reserve(300, {"address 1", "address 1"}, a), upload_budget::verdict::reserved);
  EXPECT_EQ(budget.used_by("address 1"), 300u);  // named twice, counted once
  a = {};
  EXPECT_EQ(budget.used(), 700u);
}
