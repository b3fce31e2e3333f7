// add_log_test.cpp - addLog's keys and arguments.
#include "core/scripts/add_log.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(add_log, packs_job_hash_and_logs_then_id_line_and_keep) {
  auto kept = add_log::of(keys(), "7", "hello", 10).pack();
  expect_packed(kept, lua::add_log, 2, {"bull:q:7", "bull:q:7:logs", "7", "hello", "10"});
}

TEST(add_log, sends_an_empty_keep_logs_for_no_limit) {
  auto all = add_log::of(keys(), "7", "hello").pack();
  expect_packed(all, lua::add_log, 2, {"bull:q:7", "bull:q:7:logs", "7", "hello", ""});
  auto zero = add_log::of(keys(), "7", "hello", 0).pack();  // keepLogs: 0 is no limit in Node
  expect_packed(zero, lua::add_log, 2, {"bull:q:7", "bull:q:7:logs", "7", "hello", ""});
}

}  // namespace
}  // namespace drover::detail::scripts
