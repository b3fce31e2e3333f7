// file_limit_test.cpp - the soft open-file limit is raised to what the connection cap
// needs, within the hard limit, and a hard limit too low for it is said. Each test lowers
// the limits in a child process (a lowered hard limit cannot be raised again without
// privilege), so that the tests run after it in the same process keep theirs.
#include "httpd/file_limit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace drover::httpd {
namespace {

rlimit current() {
  rlimit l{};
  getrlimit(RLIMIT_NOFILE, &l);
  return l;
}

// Runs `checks` in a forked child; the child's failed expectations print there and fail
// this test through its exit status.
void in_child(const std::function<void()>& checks) {
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    checks();
    ::_exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's checks failed (above)";
}

TEST(file_limit, a_low_soft_limit_is_raised_to_what_the_cap_needs) {
  const auto needed = descriptors_needed(1000);
  if (current().rlim_max != RLIM_INFINITY && current().rlim_max < needed) GTEST_SKIP() << "the hard limit is low here";
  in_child([&] {
    rlimit low = current();
    low.rlim_cur = 256;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    const auto outcome = ensure_file_limit(needed);
    EXPECT_TRUE(outcome.enough);
    EXPECT_EQ(outcome.message, "raised the open-file limit from 256 to " + std::to_string(needed));
    EXPECT_GE(current().rlim_cur, needed);
    EXPECT_TRUE(ensure_file_limit(needed).message.empty()) << "enough now: nothing to say";
  });
}

TEST(file_limit, a_hard_limit_below_the_need_is_said) {
  in_child([] {
    rlimit low{512, 512};
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    const auto outcome = ensure_file_limit(descriptors_needed(1000));
    EXPECT_FALSE(outcome.enough);
    EXPECT_NE(outcome.message.find("the open-file limit is 512 (hard limit 512)"), std::string::npos)
        << outcome.message;
    EXPECT_NE(outcome.message.find("MAX_CONNECTIONS"), std::string::npos);
  });
}

}  // namespace
}  // namespace drover::httpd
