// replicated_add_test.cpp - what one WAIT behind several adds asks, its command, and how
// its answers are read, without Redis (the real thing: tests/integration/core/).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/replicated_add.hpp"
#include "drover/error.hpp"

namespace drover {
namespace {

using namespace std::chrono_literals;

redis::reply integer(std::int64_t n) {
  redis::reply r;
  r.type = redis::reply::kind::integer;
  r.integer = n;
  return r;
}

TEST(replicated_add, require_keeps_the_most_replicas_and_the_longest_timeout_of_those_asking) {
  replication_options wanted;
  detail::require(wanted, replication_options{0, 5000ms});  // asks nothing: its timeout is not used
  EXPECT_EQ(wanted.min_replicas, 0);
  detail::require(wanted, replication_options{1, 200ms});
  EXPECT_EQ(wanted.min_replicas, 1);
  EXPECT_EQ(wanted.timeout, 200ms);
  detail::require(wanted, replication_options{2, 100ms});
  detail::require(wanted, replication_options{1, 300ms});
  detail::require(wanted, replication_options{0, 9000ms});
  EXPECT_EQ(wanted.min_replicas, 2);
  EXPECT_EQ(wanted.timeout, 300ms);
}

TEST(replicated_add, wait_command_names_replicas_and_milliseconds) {
  auto cmd = detail::wait_command(replication_options{2, 250ms}, 10000ms);
  EXPECT_EQ(cmd.args(), (std::vector<std::string>{"WAIT", "2", "250"}));
}

TEST(replicated_add, wait_command_refuses_a_timeout_the_connection_would_not_outlast) {
  try {
    detail::wait_command(replication_options{1, 5000ms}, 5000ms);
    ADD_FAILURE() << "a 5000 ms WAIT accepted with a 5000 ms command timeout";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument));
    EXPECT_EQ(std::string(e.what()),
              "the replication timeout (5000 ms) must be below the Redis command timeout (5000 ms)");
  }
}

TEST(replicated_add, check_replicated_reads_every_wait) {
  const replication_options wanted{2, 200ms};
  EXPECT_NO_THROW(detail::check_replicated({}, wanted, "job 1 of queue q"));
  EXPECT_NO_THROW(detail::check_replicated({integer(2), integer(3)}, wanted, "job 1 of queue q"));
  try {
    detail::check_replicated({integer(3), integer(1)}, wanted, "job 7 of queue q");
    ADD_FAILURE() << "1 of 2 replicas accepted";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::not_replicated));
    EXPECT_EQ(std::string(e.what()),
              "job 7 of queue q reached 1 of 2 replica(s) within 200 ms (WAIT); it may still exist on the master and "
              "be processed, and is lost if the master fails before it replicates");
  }
  redis::reply refused;
  refused.type = redis::reply::kind::error;
  refused.str = "ERR WAIT cannot be used with replica instances";
  try {
    detail::check_replicated({refused}, wanted, "job 7 of queue q");
    ADD_FAILURE() << "an error reply accepted";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::redis_error));
    EXPECT_NE(std::string(e.what()).find("replica instances"), std::string::npos);
  }
}

TEST(replicated_add, describe_jobs_names_one_or_a_few) {
  EXPECT_EQ(detail::describe_jobs("q", {"42"}), "job 42 of queue q");
  EXPECT_EQ(detail::describe_jobs("q", {"1", "2"}), "2 jobs of queue q (1, 2)");
  EXPECT_EQ(detail::describe_jobs("q", {"1", "2", "3", "4", "5", "6", "7"}), "7 jobs of queue q (1, 2, 3, 4, 5, ...)");
}

}  // namespace
}  // namespace drover
