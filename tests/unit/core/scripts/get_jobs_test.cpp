// get_jobs_test.cpp - getJobs: range, order, backfill bound and states; jobs read once each.
#include "core/scripts/get_jobs.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(get_jobs, packs_range_order_bound_then_each_state_once) {
  auto call = get_jobs::of(keys(), {"waiting", "wait", "failed"}, 0, 9, true).pack();
  expect_packed(call, lua::get_jobs, 1, {"bull:q:", "0", "9", "1", "5", "wait", "failed"});
}

TEST(get_jobs, returns_each_job_once) {
  using test::array_reply;
  using test::str_reply;
  auto entry = [](const char* id, const char* name) {
    return array_reply({str_reply(id), array_reply({str_reply("name"), str_reply(name), str_reply("data"),
                                                    str_reply("{}"), str_reply("timestamp"), str_reply("1")})});
  };
  auto g = get_jobs::of(keys(), {"failed", "completed"}, 0, -1, false);
  auto reply = array_reply({array_reply({entry("1", "a"), entry("2", "b")}), array_reply({entry("1", "a")})});
  auto jobs = g.parse(reply);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].id, "1");
  EXPECT_EQ(jobs[0].name, "a");
  EXPECT_EQ(jobs[1].id, "2");
}

}  // namespace
}  // namespace drover::detail::scripts
