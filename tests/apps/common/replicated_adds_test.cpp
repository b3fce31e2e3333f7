// replicated_adds_test.cpp - REDIS_MIN_REPLICAS and REDIS_REPLICATION_TIMEOUT_MS: the
// defaults, values read, and values refused with the variable named.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <string>

#include <drover/error.hpp>
#include <drover_app/replicated_adds.hpp>

#include "support/scoped_env.hpp"

namespace drover::app {
namespace {

// The two settings, each set to its value or unset where it is nullptr.
test::scoped_env replication_env(const char* min, const char* timeout) {
  return test::scoped_env{{"REDIS_MIN_REPLICAS", min}, {"REDIS_REPLICATION_TIMEOUT_MS", timeout}};
}

constexpr std::chrono::milliseconds command_timeout{10000};

TEST(replicated_adds, defaults_wait_for_nobody) {
  auto env = replication_env(nullptr, nullptr);
  auto r = replication_from_env(redis_options{}, command_timeout);
  EXPECT_EQ(r.min_replicas, 0);
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(500));
}

// Sentinel means a replica exists: adds wait for it unless told not to, so that a
// failover loses no acknowledged add.
TEST(replicated_adds, behind_sentinel_wait_for_one_replica_unless_told_otherwise) {
  redis_options behind_sentinel;
  behind_sentinel.sentinel.sentinels.push_back({"127.0.0.1", 26379});
  behind_sentinel.sentinel.master_name = "mymaster";
  {
    auto env = replication_env(nullptr, nullptr);
    EXPECT_EQ(replication_from_env(behind_sentinel, command_timeout).min_replicas, 1);
  }
  auto env = replication_env("0", nullptr);
  EXPECT_EQ(replication_from_env(behind_sentinel, command_timeout).min_replicas, 0);
}

TEST(replicated_adds, reads_both_variables) {
  auto env = replication_env("2", "250");
  auto r = replication_from_env(redis_options{}, command_timeout);
  EXPECT_EQ(r.min_replicas, 2);
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(250));
}

TEST(replicated_adds, refuses_what_wait_cannot_take) {
  struct bad_case {
    const char* min;
    const char* timeout;
    const char* named;
  };
  // A timeout of 0 would make WAIT block forever.
  const bad_case cases[] = {{"-1", nullptr, "REDIS_MIN_REPLICAS"},
                            {"one", nullptr, "REDIS_MIN_REPLICAS"},
                            {"101", nullptr, "from 0 to 100"},
                            {"1", "0", "REDIS_REPLICATION_TIMEOUT_MS"},
                            {"1", "-5", "REDIS_REPLICATION_TIMEOUT_MS"},
                            {"1", "1s", "REDIS_REPLICATION_TIMEOUT_MS"},
                            // Calls behind the WAIT on the connection would time out first.
                            {"1", "10000", "REDIS_REPLICATION_TIMEOUT_MS"}};
  for (const auto& c : cases) {
    auto env = replication_env(c.min, c.timeout);
    try {
      replication_from_env(redis_options{}, command_timeout);
      ADD_FAILURE() << c.named << " accepted";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_NE(std::string(e.what()).find(c.named), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace drover::app
