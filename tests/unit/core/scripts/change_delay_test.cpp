// change_delay_test.cpp - changeDelay's keys and arguments.
#include "core/scripts/change_delay.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(change_delay, packs_delay_timestamp_id_and_job_hash) {
  auto call = change_delay::of(keys(), "4", 5000, 1700000000000).pack();
  expect_packed(
      call, lua::change_delay, 4,
      {"bull:q:delayed", "bull:q:meta", "bull:q:marker", "bull:q:events", "5000", "1700000000000", "4", "bull:q:4"});
}

}  // namespace
}  // namespace drover::detail::scripts
