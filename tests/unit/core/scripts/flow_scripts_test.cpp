// flow_scripts_test.cpp - the scripts of flows: addParentJob, moveToWaitingChildren,
// getDependencyCounts and releaseParentIfNoPendingDependencies, and a child's link to
// its parent in the add arguments every add shares.
#include "core/scripts/add_parent_job.hpp"
#include "core/scripts/get_dependency_counts.hpp"
#include "core/scripts/move_to_waiting_children.hpp"
#include "core/scripts/release_parent.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

add_job_args child_args() {
  add_job_args a;
  a.prefix = "bull:q:";
  a.custom_id = "c1";
  a.name = "leaf";
  a.timestamp = 1000;
  a.data = "{}";
  a.opts = "<opts>";
  a.parent_key = "bull:top:p1";
  a.parent_dependencies_key = "bull:top:p1:dependencies";
  a.parent = boost::json::object{{"id", "p1"}, {"queueKey", "bull:top"}, {"fpof", true}};
  a.defer_parent_release = true;
  return a;
}

TEST(flow_scripts, a_child_sends_its_parent_link_and_the_deferred_release) {
  auto call = pack_add(keys(), child_args(), 0, 0);
  EXPECT_EQ(unpacked(call.args[9]), R"(["bull:q:","c1","leaf",1000,"bull:top:p1","bull:top:p1:dependencies",)"
                                    R"({"id":"p1","queueKey":"bull:top","fpof":true},null,null,1])");
}

TEST(flow_scripts, add_parent_job_packs_six_keys_then_the_shared_arguments) {
  auto call = add_parent_job::of(keys(), child_args()).pack();
  call.args[6] = "<argv1>";
  expect_packed(call, lua::add_parent_job, 6,
                {"bull:q:meta", "bull:q:id", "bull:q:delayed", "bull:q:waiting-children", "bull:q:completed",
                 "bull:q:events", "<argv1>", "{}", "<opts>"});
}

TEST(flow_scripts, move_to_waiting_children_packs_seven_keys_then_token_child_time_id_prefix) {
  auto call = move_to_waiting_children::of(keys(), "7", "tok", 1234).pack();
  expect_packed(call, lua::move_to_waiting_children, 7,
                {"bull:q:active", "bull:q:waiting-children", "bull:q:7", "bull:q:7:dependencies",
                 "bull:q:7:unsuccessful", "bull:q:stalled", "bull:q:events", "tok", "", "1234", "7", "bull:q:"});
  auto w = move_to_waiting_children::of(keys(), "7", "tok", 1);
  EXPECT_EQ(w.parse(test::int_reply(0)), 0);
  EXPECT_EQ(w.parse(test::int_reply(1)), 1);
  try {
    w.parse(test::int_reply(-9));
    ADD_FAILURE() << "-9 is an error";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::pending_children));
  }
}

TEST(flow_scripts, get_dependency_counts_reads_the_four_places_of_a_job) {
  auto call = get_dependency_counts::of(keys(), "7").pack();
  expect_packed(call, lua::get_dependency_counts, 4,
                {"bull:q:7:processed", "bull:q:7:dependencies", "bull:q:7:failed", "bull:q:7:unsuccessful", "processed",
                 "unprocessed", "ignored", "failed"});
}

TEST(flow_scripts, release_parent_packs_the_parent_and_its_queue) {
  auto call = release_parent{"bull:top:p1", "bull:top:p1:dependencies", "bull:top", "p1", 99}.pack();
  expect_packed(call, lua::release_parent_if_no_pending_dependencies, 2,
                {"bull:top:p1", "bull:top:p1:dependencies", "bull:top", "p1", "99"});
}

}  // namespace
}  // namespace drover::detail::scripts
