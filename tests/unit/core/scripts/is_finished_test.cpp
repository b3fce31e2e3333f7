// is_finished_test.cpp - isFinished's keys and arguments, and its answers read.
#include "core/scripts/is_finished.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::array_reply;
using test::expect_packed;
using test::int_reply;
using test::keys;
using test::str_reply;

TEST(is_finished, packs_completed_failed_job_hash_then_id_and_asks_for_the_value) {
  auto call = is_finished::of(keys(), "42").pack();
  expect_packed(call, lua::is_finished, 3, {"bull:q:completed", "bull:q:failed", "bull:q:42", "42", "1"});
}

TEST(is_finished, reads_each_answer) {
  auto w = is_finished::of(keys(), "42");
  auto done = w.parse(array_reply({int_reply(1), str_reply("{\"a\":1}")}));
  EXPECT_EQ(done.state, finish_status::kind::completed);
  EXPECT_EQ(done.value, "{\"a\":1}");
  auto failed = w.parse(array_reply({int_reply(2), str_reply("boom")}));
  EXPECT_EQ(failed.state, finish_status::kind::failed);
  EXPECT_EQ(failed.value, "boom");
  EXPECT_EQ(w.parse(array_reply({int_reply(0)})).state, finish_status::kind::running);
  EXPECT_EQ(w.parse(array_reply({int_reply(-1), str_reply("Missing key")})).state, finish_status::kind::missing);
}

}  // namespace
}  // namespace drover::detail::scripts
