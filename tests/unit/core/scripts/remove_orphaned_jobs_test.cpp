// remove_orphaned_jobs_test.cpp - removeOrphanedJobs's key and arguments: the key map's
// suffixes and the job sub-keys as Node passes them, then the candidates.
#include "core/scripts/remove_orphaned_jobs.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(remove_orphaned_jobs, packs_the_prefix_state_suffixes_sub_key_suffixes_then_candidates) {
  auto call = remove_orphaned_jobs::of(keys(), {"3", "x"}).pack();
  expect_packed(call, lua::remove_orphaned_jobs, 1,
                {"bull:q:", "18",           "active",        "wait",      "waiting-children", "paused",  "id",
                 "delayed", "prioritized",  "stalled-check", "completed", "failed",           "stalled", "repeat",
                 "limiter", "meta",         "events",        "pc",        "marker",           "de",      "6",
                 "logs",    "dependencies", "processed",     "failed",    "unsuccessful",     "lock",    "3",
                 "x"});
}

}  // namespace
}  // namespace drover::detail::scripts
