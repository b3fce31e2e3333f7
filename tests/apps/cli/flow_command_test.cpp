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

// A job's name is any producer's: an escape sequence in it (clear the screen, write the
// clipboard) reaches the operator's terminal as text, as in every other view.
TEST(flow_command, show_prints_no_escape_sequence_a_producer_put_in_a_name) {
  auto& server = test::redis_server::shared();
  const auto queue = test::unique_queue("cli-flow-escape");
  auto added = test_run::run_drover({"add", "-q", queue, "-n", "x\x1b]52;c;aGk=\x07\x1b[2Jy", "--redis", server.url()});
  ASSERT_EQ(added.rc, exit_code::ok) << added.err;
  auto id = added.out.substr(0, added.out.find_first_of(" \n"));
  auto r = test_run::run_drover({"flow", "show", "-q", queue, "--id", id, "--redis", server.url()});
  EXPECT_EQ(r.rc, exit_code::ok) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x07'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
}

TEST(flow_command, show_refuses_a_depth_or_child_count_below_one_as_a_usage_error) {
  auto& server = test::redis_server::shared();
  for (const char* flag : {"--max-children", "--depth"}) {
    for (const char* value : {"0", "-1"}) {
      auto r = test_run::run_drover({"flow", "show", "-q", "q", "--id", "1", flag, value, "--redis", server.url()});
      EXPECT_EQ(r.rc, exit_code::usage) << flag << " " << value << ": " << r.err;
    }
  }
}

}  // namespace
}  // namespace drover::cli
