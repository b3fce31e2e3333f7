// obliterate_test.cpp - obliterate's keys and arguments, and its answers.
#include "core/scripts/obliterate.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(obliterate, packs_meta_and_prefix_then_count_and_force) {
  expect_packed(obliterate::of(keys(), 1000, true).pack(), lua::obliterate, 2,
                {"bull:q:meta", "bull:q:", "1000", "force"});
  EXPECT_EQ(obliterate::of(keys(), 1000, false).pack().args.back(), "");
}

TEST(obliterate, reads_each_answer) {
  using test::int_reply;
  auto o = obliterate::of(keys(), 1000, false);
  EXPECT_EQ(o.parse(int_reply(0)), obliterate::result::done);
  EXPECT_EQ(o.parse(int_reply(1)), obliterate::result::more);
  EXPECT_EQ(o.parse(int_reply(-1)), obliterate::result::not_paused);
  EXPECT_EQ(o.parse(int_reply(-2)), obliterate::result::active_jobs);
}

}  // namespace
}  // namespace drover::detail::scripts
