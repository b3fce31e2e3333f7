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

TEST(requeue_dead_letter, sends_the_adds_keys_the_entrys_and_the_failed_jobs_then_every_argument) {
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 0), dead_letters(), "q-1-5");
  call.failed_job_key = "bull:q:5";
  call.failed_finished_on = "1700000000000";
  auto original = remove_job::of(keys(), "5");
  original.remove_children = false;
  call.failed_job_removal = std::move(original);
  call.requeued_key = "bull:q:drover:requeued";
  auto packed = std::move(call).pack();
  ASSERT_EQ(packed.script, &lua::requeue_dead_letter);
  ASSERT_EQ(packed.script->num_keys, 15);
  ASSERT_EQ(packed.args.size(), 26u);
  EXPECT_EQ(packed.args[0], "bull:q:wait");
  EXPECT_EQ(packed.args[8], "bull:q:marker");
  EXPECT_EQ(packed.args[9], "bull:q-dlq:q-1-5");
  EXPECT_EQ(packed.args[10], "bull:q-dlq:repeat");
  EXPECT_EQ(packed.args[11], "bull:q:5");
  EXPECT_EQ(packed.args[12], "bull:q:5");       // the failed job's removal: its hash ...
  EXPECT_EQ(packed.args[13], "bull:q:repeat");  // ... and its queue's repeat key
  EXPECT_EQ(packed.args[14], "bull:q:drover:requeued");
  EXPECT_EQ(packed.args[15], "standard");
  EXPECT_EQ(packed.args[17], "{}");  // the add's data
  EXPECT_EQ(packed.args[18], "o");   // the add's options
  EXPECT_EQ(packed.args[19], "q-1-5");
  EXPECT_EQ(packed.args[20], "0");  // an entry has no children to remove
  EXPECT_EQ(packed.args[21], "bull:q-dlq:");
  EXPECT_EQ(packed.args[22], "1700000000000");
  EXPECT_EQ(packed.args[23], "5");
  EXPECT_EQ(packed.args[24], "0");  // nor does the failed job lose its children
  EXPECT_EQ(packed.args[25], "bull:q:");
}

TEST(requeue_dead_letter, without_a_failed_job_checks_nothing_and_keeps_every_key_in_the_source_queue) {
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 0), dead_letters(), "e").pack();
  ASSERT_EQ(call.args.size(), 26u);
  EXPECT_EQ(call.args[11], "bull:q:wait");  // a cluster needs it in the add's slot
  EXPECT_EQ(call.args[12], "bull:q:wait");
  EXPECT_EQ(call.args[13], "bull:q:wait");
  EXPECT_EQ(call.args[14], "bull:q:wait");
  EXPECT_EQ(call.args[22], "");
}

TEST(requeue_dead_letter, a_prioritized_job_stays_prioritized) {
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 3), dead_letters(), "e").pack();
  EXPECT_EQ(call.args[0], "bull:q:marker");
  EXPECT_EQ(call.args[15], "prioritized");
}

TEST(requeue_dead_letter, refuses_a_delayed_add) {
  EXPECT_THROW(requeue_dead_letter::of(pack_add(keys(), args(), 100, 0), dead_letters(), "e"), error);
}

TEST(requeue_dead_letter, reads_the_new_id_or_why_there_is_none) {
  using outcome = requeue_dead_letter::outcome;
  auto call = requeue_dead_letter::of(pack_add(keys(), args(), 0, 0), dead_letters(), "e");
  EXPECT_EQ(call.parse(int_reply(42)).id, "42");
  EXPECT_EQ(call.parse(int_reply(42)).what, outcome::added);
  EXPECT_EQ(call.parse(str_reply("custom")).id, "custom");
  EXPECT_EQ(call.parse(int_reply(-1)).what, outcome::no_entry);
  EXPECT_EQ(call.parse(int_reply(-100)).what, outcome::job_running_again);
  EXPECT_EQ(call.parse(int_reply(-101)).what, outcome::job_finished_again);
  EXPECT_EQ(call.parse(int_reply(-102)).what, outcome::requeued_already);
  EXPECT_THROW(call.parse(int_reply(0)), error);
}

}  // namespace
}  // namespace drover::detail::scripts
