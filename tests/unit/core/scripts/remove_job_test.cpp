// remove_job_test.cpp - removeJob's keys and arguments, and its answer.
#include "core/scripts/remove_job.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(remove_job, packs_job_hash_and_repeat_then_id_children_and_prefix) {
  auto call = remove_job::of(keys(), "5").pack();
  expect_packed(call, lua::remove_job, 2, {"bull:q:5", "bull:q:repeat", "5", "1", "bull:q:"});
}

TEST(remove_job, one_means_removed_and_zero_locked) {
  auto r = remove_job::of(keys(), "5");
  EXPECT_TRUE(r.parse(test::int_reply(1)));
  EXPECT_FALSE(r.parse(test::int_reply(0)));
  EXPECT_THROW(r.parse(test::int_reply(-8)), error);
}

}  // namespace
}  // namespace drover::detail::scripts
