// The chat job's priority from the user's tier and the request.
#include "api/priority_policy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace drover::api {
namespace {

TEST(PriorityPolicy, WithoutTiersTheRequestDecides) {
  priority_policy p;
  EXPECT_FALSE(p.has_tiers());
  EXPECT_EQ(p.priority_for("anyone", std::nullopt), std::nullopt);
  EXPECT_EQ(p.priority_for("anyone", 7), 7);
}

TEST(PriorityPolicy, UsersGetTheirTierAndEveryoneElseTheDefault) {
  priority_policy p("premium=1, standard=5, free=10", "alice=premium,bob=standard", "");
  EXPECT_EQ(p.priority_for("alice", std::nullopt), 1);
  EXPECT_EQ(p.priority_for("bob", std::nullopt), 5);
  EXPECT_EQ(p.priority_for("carol", std::nullopt), 10);  // default: the least urgent tier
  priority_policy q("premium=1,free=10", "", "premium");
  EXPECT_EQ(q.priority_for("carol", std::nullopt), 1);
}

TEST(PriorityPolicy, ARequestCanLowerItsUrgencyButNotRaiseIt) {
  priority_policy p("premium=1,free=10", "alice=premium", "free");
  EXPECT_EQ(p.priority_for("carol", 1), 10);
  EXPECT_EQ(p.priority_for("carol", 50), 50);
  EXPECT_EQ(p.priority_for("alice", 3), 3);
}

TEST(PriorityPolicy, UnreadableSettingsNameWhatIsWrong) {
  auto message = [](auto make) {
    try {
      make();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message([] { priority_policy("premium", "", ""); }).find("PRIORITY_TIERS: 'premium'"), std::string::npos);
  EXPECT_NE(message([] { priority_policy("premium=0", "", ""); }).find("from 1 to 2097151"), std::string::npos);
  EXPECT_NE(message([] { priority_policy("premium=x", "", ""); }).find("'x'"), std::string::npos);
  EXPECT_NE(message([] { priority_policy("premium=1", "alice=gold", ""); }).find("tier 'gold'"), std::string::npos);
  EXPECT_NE(message([] { priority_policy("premium=1", "", "gold"); }).find("DEFAULT_TIER: 'gold'"), std::string::npos);
  EXPECT_NE(message([] { priority_policy("", "alice=premium", ""); }).find("PRIORITY_TIERS is not"), std::string::npos);
  // Named twice: which of the two was meant is not for the API to guess (an operator review).
  EXPECT_NE(message([] { priority_policy("a=1,a=2", "", ""); }).find("'a' is named twice"), std::string::npos);
  EXPECT_NE(message([] { priority_policy("a=1,b=2", "al=a, al=b", ""); }).find("'al' is named twice"),
            std::string::npos);
}

}  // namespace
}  // namespace drover::api
