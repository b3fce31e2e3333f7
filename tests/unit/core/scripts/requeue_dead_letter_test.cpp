// requeue_dead_letter_test.cpp - requeueDeadLetter's keys and arguments: the add's, then
// the entry's removal, split as the script slices them; and its answers.
#include "core/scripts/requeue_dead_letter.hpp"

#include "core/scripts/add_job.hpp"
#include "drover/error.hpp"
#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::int_reply;
using test::keys;
using test::str_reply;

const queue_keys& dead_letters() {
  static const queue_keys k("bull", "q-dlq");
  return k;
}

add_job_args args() {
  add_job_args a;
  a.prefix = "bull:q:";
  a.name = "n";
  a.data = "{}";
  a.opts = "o";
  return a;
}

TEST(requeue_dead_letter, sends_the_adds_keys_and_the_entrys_then_the_kind_and_both_arguments) {
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 0), dead_letters(), "q-1-5").pack();
  ASSERT_EQ(call.script, &lua::requeue_dead_letter);
  ASSERT_EQ(call.script->num_keys, 11);
  ASSERT_EQ(call.args.size(), 18u);
  EXPECT_EQ(call.args[0], "bull:q:wait");
  EXPECT_EQ(call.args[8], "bull:q:marker");
  EXPECT_EQ(call.args[9], "bull:q-dlq:q-1-5");
  EXPECT_EQ(call.args[10], "bull:q-dlq:repeat");
  EXPECT_EQ(call.args[11], "standard");
  EXPECT_EQ(call.args[13], "{}");  // the add's data
  EXPECT_EQ(call.args[14], "o");   // the add's options
  EXPECT_EQ(call.args[15], "q-1-5");
  EXPECT_EQ(call.args[16], "0");  // an entry has no children to remove
  EXPECT_EQ(call.args[17], "bull:q-dlq:");
}

TEST(requeue_dead_letter, a_prioritized_job_stays_prioritized) {
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 3), dead_letters(), "e").pack();
  EXPECT_EQ(call.args[0], "bull:q:marker");
  EXPECT_EQ(call.args[11], "prioritized");
}

TEST(requeue_dead_letter, refuses_a_delayed_add) {
  EXPECT_THROW(requeue_dead_letter::of(pack_add(keys(), args(), 100, 0), dead_letters(), "e"), error);
}

TEST(requeue_dead_letter, reads_the_new_id_or_why_there_is_none) {
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 0), dead_letters(), "e");
  EXPECT_EQ(call.parse(int_reply(42)), "42");
  EXPECT_EQ(call.parse(str_reply("custom")), "custom");
  EXPECT_EQ(call.parse(int_reply(-1)), std::nullopt);
  EXPECT_THROW(call.parse(int_reply(0)), error);
}

}  // namespace
}  // namespace drover::detail::scripts
