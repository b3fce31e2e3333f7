// cancel_job_test.cpp - drover's cancelJob: keys, arguments, and its four answers.
#include "core/scripts/cancel_job.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(cancel_job, packs_job_hash_and_lock_then_field_and_request) {
  auto call = cancel_job::of(keys(), "3", R"({"reason":"r"})").pack();
  expect_packed(call, lua::cancel_job, 2, {"bull:q:3", "bull:q:3:lock", "drover:cancel", R"({"reason":"r"})"});
}

TEST(cancel_job, reads_each_answer) {
  using test::int_reply;
  auto c = cancel_job::of(keys(), "3", "{}");
  EXPECT_EQ(c.parse(int_reply(-1)), cancel_job::result::not_found);
  EXPECT_EQ(c.parse(int_reply(1)), cancel_job::result::finished);
  EXPECT_EQ(c.parse(int_reply(2)), cancel_job::result::locked);
  EXPECT_EQ(c.parse(int_reply(3)), cancel_job::result::unlocked);
  EXPECT_THROW(c.parse(test::str_reply("OK?")), error);
}

}  // namespace
}  // namespace drover::detail::scripts
