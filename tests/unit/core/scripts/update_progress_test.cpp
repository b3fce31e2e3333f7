// update_progress_test.cpp - updateProgress's keys and arguments.
#include "core/scripts/update_progress.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(update_progress, packs_job_hash_events_meta_then_id_and_progress) {
  auto call = update_progress::of(keys(), "42", R"({"pct":50})").pack();
  expect_packed(call, lua::update_progress, 3, {"bull:q:42", "bull:q:events", "bull:q:meta", "42", R"({"pct":50})"});
}

}  // namespace
}  // namespace drover::detail::scripts
