// script_runner_test.cpp - core/script_runner against a real redis-server (or the suite's
// Redis Cluster): scripts loaded again after Redis lost them (SCRIPT FLUSH, as after a
// restart), and in a pipeline what is sent again and what only loaded; script errors.
#include "core/script_runner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/keys.hpp"
#include "core/scripts/drop_stale_marker.hpp"
#include "core/scripts/get_counts.hpp"
#include "drover/error.hpp"
#include "redis/connection.hpp"
#include "support/engine_test.hpp"
#include "support/suite_cluster.hpp"

namespace drover {
namespace {

// One hash tag per test: the script's keys and the counter share a slot.
std::string tag_of(const std::string& test) { return "{script-runner-" + test + "}"; }

std::vector<std::pair<const detail::lua::script*, detail::script_args>> drop_call(const std::string& tag) {
  auto packed = detail::scripts::drop_stale_marker{tag + ":marker", tag + ":wait", tag + ":prioritized"}.pack();
  std::vector<std::pair<const detail::lua::script*, detail::script_args>> calls;
  calls.emplace_back(packed.script, std::move(packed.args));
  return calls;
}

redis::command count_once(const std::string& tag) { return redis::command{"INCR", tag + ":then"}; }

std::string counted(const std::string& tag) { return test::suite_cli(tag, "GET " + tag + ":then"); }

// The counter gone and every script with it, as after a restart.
void start_afresh(const std::string& tag) {
  test::suite_cli(tag, "DEL " + tag + ":then");
  EXPECT_EQ(test::suite_cli(tag, "SCRIPT FLUSH"), "OK");
}

TEST(script_runner, reloads_a_script_after_script_flush) {
  DROVER_SKIP_ON_CLUSTER("flushes the node's scripts, which the tests running beside load and flush too");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = redis::connection::create(io.get_executor(), test::suite_redis_options());
    EXPECT_EQ(test::suite_cli(tag_of("reload"), "SCRIPT FLUSH"), "OK");
    // getCounts on a queue that does not exist: every count is 0.
    const auto tag = tag_of("reload");
    auto call = detail::scripts::get_counts::of(detail::queue_keys("bull", tag), {"waiting", "active"});
    auto packed = std::move(call).pack();
    auto r = co_await detail::run_script(*conn, *packed.script, std::move(packed.args));
    DROVER_CO_ASSERT_TRUE(r.is_array());
    EXPECT_EQ(r.elements.size(), 2u);
    EXPECT_EQ(r.elements[0].as_int(), 0);
    conn->close();
  });
}

TEST(script_runner, names_the_script_when_it_raises_an_error) {
  const std::string queue = "{script-runner-wrongtype}";
  test::suite_cli(queue, "SET bull:" + queue + ":wait not-a-list");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = redis::connection::create(io.get_executor(), test::suite_redis_options());
    try {
      // getCounts runs LLEN on the wait key, which holds a string: WRONGTYPE inside the script.
      auto call = detail::scripts::get_counts::of(detail::queue_keys("bull", queue), {"waiting"});
      co_await detail::scripts::run(*conn, std::move(call));
      ADD_FAILURE() << "no error";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::script_error)) << e.what();
      EXPECT_NE(std::string(e.what()).find("script "), std::string::npos) << e.what();
    }
    conn->close();
  });
  test::suite_cli(queue, "DEL bull:" + queue + ":wait");
}

TEST(script_runner, after_a_flush_resend_runs_the_call_and_its_then_again) {
  DROVER_SKIP_ON_CLUSTER("flushes the node's scripts, which the tests running beside load and flush too");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    const auto tag = tag_of("resend");
    auto conn = redis::connection::create(io.get_executor(), test::suite_redis_options());
    start_afresh(tag);
    auto sent = detail::run_scripts_then(*conn, drop_call(tag), count_once(tag), std::chrono::milliseconds{0});
    auto replies = co_await std::move(sent);
    // The call's reply from the second pipeline, then one `then` reply per pipeline.
    DROVER_CO_ASSERT_TRUE(replies.size() == 3u);
    EXPECT_FALSE(replies[0].is_error()) << replies[0].str;
    EXPECT_EQ(replies[1].integer, 1);
    EXPECT_EQ(replies[2].integer, 2);
    EXPECT_EQ(counted(tag), "2");
    conn->close();
  });
}

// The fetcher's pipeline [dropStaleMarker, BZPOPMIN]: a blocking wait must not run twice.
TEST(script_runner, after_a_flush_load_only_runs_the_then_once_and_loads_the_script_for_next_time) {
  DROVER_SKIP_ON_CLUSTER("flushes the node's scripts, which the tests running beside load and flush too");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    const auto tag = tag_of("load-only");
    auto conn = redis::connection::create(io.get_executor(), test::suite_redis_options());
    start_afresh(tag);
    const std::chrono::milliseconds no_extra{0};
    auto sent =
        detail::run_scripts_then(*conn, drop_call(tag), count_once(tag), no_extra, detail::after_noscript::load_only);
    auto replies = co_await std::move(sent);
    DROVER_CO_ASSERT_TRUE(replies.size() == 2u);
    EXPECT_TRUE(replies[0].is_error());
    EXPECT_TRUE(replies[0].str.starts_with("NOSCRIPT")) << replies[0].str;
    EXPECT_EQ(replies[1].integer, 1);
    EXPECT_EQ(counted(tag), "1");
    // Loaded: the next pipeline runs the call the first time.
    auto next =
        detail::run_scripts_then(*conn, drop_call(tag), count_once(tag), no_extra, detail::after_noscript::load_only);
    auto again = co_await std::move(next);
    DROVER_CO_ASSERT_TRUE(again.size() == 2u);
    EXPECT_FALSE(again[0].is_error()) << again[0].str;
    EXPECT_EQ(again[1].integer, 2);
    conn->close();
  });
}

}  // namespace
}  // namespace drover
