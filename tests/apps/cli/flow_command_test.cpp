// flow_command_test.cpp - `drover flow show` against a real redis-server: a missing job
// exits 3 with one line on stderr and, with --json too, nothing on stdout (it printed
// "null" there as well).
#include <gtest/gtest.h>

#include "run_drover.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace drover::cli {
namespace {

TEST(flow_command, show_of_a_missing_job_prints_nothing_on_stdout) {
  auto& server = test::redis_server::shared();
  const auto queue = test::unique_queue("cli-flow-show");
  for (bool json : {false, true}) {
    std::vector<std::string> args{"flow", "show", "-q", queue, "--id", "nope", "--redis", server.url()};
    if (json) args.emplace_back("--json");
    auto r = test_run::run_drover(args);
    EXPECT_EQ(r.rc, exit_code::not_found) << json;
    EXPECT_EQ(r.out, "") << json;
    EXPECT_EQ(r.err, "drover: job nope not found in queue " + queue + "\n") << json;
  }
}

}  // namespace
}  // namespace drover::cli
