// infrastructure_failure_test.cpp - Redis's and the database's errors become categories
// a user may read; every other failure keeps its own text.
#include <gtest/gtest.h>

#include <drover/error.hpp>
#include <drover_app/db/database.hpp>

#include "workers/infrastructure_failure.hpp"

namespace drover::workers {
namespace {

TEST(infrastructure_failure, names_no_host_for_redis_and_database_errors) {
  const drover::error unavailable(errc::redis_unavailable,
                                  "redis at 127.0.0.1:32106 (of the cluster 127.0.0.1:32101): unavailable");
  EXPECT_EQ(infrastructure_failure(unavailable), "Redis could not be reached");
  EXPECT_EQ(infrastructure_failure(drover::error(errc::redis_timeout, "redis at 10.0.0.7:6379: timeout")),
            "Redis could not be reached");
  const drover::error full(errc::redis_unavailable,
                           "redis at 10.0.0.7:6379: addJob: OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(infrastructure_failure(full), "Redis is out of memory (maxmemory)");
  // Refusals an operator acts on are named, whatever drover's error code for them.
  EXPECT_EQ(infrastructure_failure(drover::error(errc::script_error,
                                                 "redis at 10.0.0.7:6379: MISCONF Redis is "
                                                 "configured to save RDB snapshots")),
            "Redis cannot write to its disk (MISCONF)");
  EXPECT_EQ(infrastructure_failure(drover::error(errc::redis_error,
                                                 "redis at 10.0.0.7:6379: NOPERM User drover has "
                                                 "no permissions to run the 'evalsha' command")),
            "Redis's ACL does not allow drover's user a command (NOPERM): grant the commands docs/deployment.md "
            "lists");
  EXPECT_EQ(infrastructure_failure(drover::error(errc::redis_error, "MOVED 3999 10.0.0.8:6379")),
            "Redis refused a command");
  EXPECT_EQ(infrastructure_failure(drover::error(errc::not_replicated, "1 of 2 replicas at 10.0.0.9")),
            "Redis's replicas did not confirm a write in time");
  EXPECT_EQ(infrastructure_failure(app::database_error("database unavailable: host=db.internal port=5432")),
            "the database failed");
}

TEST(infrastructure_failure, leaves_the_jobs_own_failures_alone) {
  EXPECT_EQ(infrastructure_failure(std::runtime_error("generate-response needs data.message")), std::nullopt);
  EXPECT_EQ(infrastructure_failure(drover::error(errc::invalid_argument, "bad option")), std::nullopt);
  EXPECT_EQ(infrastructure_failure(drover::error(errc::lock_missing, "Missing lock for job 7")), std::nullopt);
}

}  // namespace
}  // namespace drover::workers
