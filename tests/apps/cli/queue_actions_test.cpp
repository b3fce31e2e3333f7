// queue_actions_test.cpp - `drover queue retry` and `queue promote` of one job against a
// real redis-server: a job in the wrong state is told in BullMQ's words without the
// script's name ("Job j1 is not in the failed state.", not "... reprocessJob").
#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include <drover/queue.hpp>

#include "run_drover.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;

namespace drover::cli {
namespace {

class queue_actions_test : public ::testing::Test {
 protected:
  test::redis_server& server = test::redis_server::shared();
  std::string name = test::unique_queue("cli-queue-actions");

  // Adds one waiting job with id "j1".
  void add_waiting_job() {
    test::run_async([&](net::io_context& io) -> net::awaitable<void> {
      queue q(io.get_executor(), name, queue_options{"bull", server.options()});
      job_options o;
      o.job_id = "j1";
      boost::json::value data = boost::json::object();
      co_await q.add("n", data, o);
      q.close();
    });
  }

  test_run::drover_run run(const char* action) {
    return test_run::run_drover({"queue", action, "-q", name, "--id", "j1", "--redis", server.url()});
  }
};

TEST_F(queue_actions_test, retry_of_a_job_not_failed_says_so_without_the_script_name) {
  add_waiting_job();
  auto r = run("retry");
  EXPECT_EQ(r.rc, exit_code::failed);
  EXPECT_EQ(r.err, "drover: error: Job j1 is not in the failed state.\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(queue_actions_test, promote_of_a_job_not_delayed_says_so_without_the_script_name) {
  add_waiting_job();
  auto r = run("promote");
  EXPECT_EQ(r.rc, exit_code::failed);
  EXPECT_EQ(r.err, "drover: error: Job j1 is not in the delayed state.\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(queue_actions_test, promote_of_a_missing_job_is_not_found) {
  auto r = run("promote");
  EXPECT_EQ(r.rc, exit_code::not_found);
  EXPECT_EQ(r.err, "drover: job j1 not found in queue " + name + "\n");
}

}  // namespace
}  // namespace drover::cli
