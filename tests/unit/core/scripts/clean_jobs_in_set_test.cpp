// clean_jobs_in_set_test.cpp - cleanJobsInSet's keys and arguments, and the ids it answers.
#include "core/scripts/clean_jobs_in_set.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(clean_jobs_in_set, packs_the_set_then_prefix_time_limit_and_state) {
  auto call = clean_jobs_in_set::of(keys(), "completed", 1700000000000, 100).pack();
  expect_packed(call, lua::clean_jobs_in_set, 3,
                {"bull:q:completed", "bull:q:events", "bull:q:repeat", "bull:q:", "1700000000000", "100", "completed"});
}

TEST(clean_jobs_in_set, answers_the_ids_deleted) {
  auto c = clean_jobs_in_set::of(keys(), "wait", 0, 0);
  auto reply = test::array_reply({test::str_reply("1"), test::str_reply("2")});
  EXPECT_EQ(c.parse(reply), (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace drover::detail::scripts
