// move_to_active_test.cpp - moveToActive's keys and arguments, and the fetch reply it shares with moveToFinished.
#include "core/scripts/move_to_active.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

TEST(move_to_active, packs_eleven_keys_then_prefix_time_and_options) {
  worker_options opts;
  opts.lock_duration = std::chrono::milliseconds(30000);
  auto call = move_to_active::of(keys(), "tok:1", opts, 1700000000000).pack();
  ASSERT_EQ(call.args.size(), 14u);
  const auto options = call.args.back();
  call.args.pop_back();
  expect_packed(
      call, lua::move_to_active, 11,
      {"bull:q:wait", "bull:q:active", "bull:q:prioritized", "bull:q:events", "bull:q:stalled", "bull:q:limiter",
       "bull:q:delayed", "bull:q:paused", "bull:q:meta", "bull:q:pc", "bull:q:marker", "bull:q:", "1700000000000"});
  EXPECT_EQ(unpacked(options), R"({"token":"tok:1","lockDuration":30000})");
}

TEST(move_to_active, sends_the_limiter_and_the_worker_name_when_set) {
  worker_options opts;
  opts.lock_duration = std::chrono::milliseconds(5000);
  opts.limiter = rate_limiter_options{10, std::chrono::milliseconds(1000)};
  opts.name = "w1";
  auto call = move_to_active::of(keys(), "t", opts, 1).pack();
  EXPECT_EQ(unpacked(call.args.back()),
            R"({"token":"t","lockDuration":5000,"limiter":{"max":10,"duration":1000},"name":"w1"})");
}

TEST(parse_fetch_reply, reads_a_job) {
  using test::array_reply;
  using test::int_reply;
  using test::str_reply;
  auto r = array_reply({array_reply({str_reply("name"), str_reply("n"), str_reply("data"), str_reply("{}"),
                                     str_reply("timestamp"), str_reply("5")}),
                        str_reply("17"), int_reply(0), int_reply(0)});
  auto f = parse_fetch_reply(r);
  ASSERT_TRUE(f.next);
  EXPECT_EQ(f.next->id, "17");
  EXPECT_EQ(f.next->name, "n");
}

TEST(parse_fetch_reply, reads_why_there_was_no_job) {
  using test::array_reply;
  using test::int_reply;
  auto limited = array_reply({int_reply(0), int_reply(0), int_reply(250), int_reply(0)});
  auto f = parse_fetch_reply(limited);
  EXPECT_FALSE(f.next);
  EXPECT_EQ(f.rate_limit_ttl_ms, 250);
  auto drained = array_reply({int_reply(0), int_reply(0), int_reply(0), int_reply(1700000000000)});
  EXPECT_EQ(parse_fetch_reply(drained).next_delayed_ms, 1700000000000);
  auto short_reply = array_reply({int_reply(0)});
  EXPECT_THROW(parse_fetch_reply(short_reply), error);
}

}  // namespace
}  // namespace drover::detail::scripts
