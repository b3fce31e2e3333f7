// eviction_policy_test.cpp - the start-up warning about Redis's maxmemory-policy (issue 13):
// given once per process and server by the first queue or worker connection, silent for
// noeviction, and silent (debug only) when an ACL refuses INFO.
#include "redis/eviction_policy.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

#include "drover/queue.hpp"
#include "drover/worker.hpp"
#include "support/async.hpp"
#include "support/captured_log.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {
namespace {

using test::captured_log;
using test::redis_server;
using test::run_async;

// A queue call and a worker's start: the connections the engine makes at start-up.
void start_queue_and_worker(const redis_options& redis) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_options qo;
    qo.redis = redis;
    auto name = test::unique_queue("eviction");
    queue q(io.get_executor(), name, qo);
    co_await q.get_job_counts();
    worker_options wo;
    wo.redis = redis;
    auto proc = processor::async([](job_context&) -> net::awaitable<json::value> { co_return nullptr; });
    worker w(io.get_executor(), name, proc, wo);
    w.start();
    co_await test::sleep_ms(200);
    co_await w.close(std::chrono::milliseconds(100));
    queue again(io.get_executor(), name, qo);  // a second queue: no second warning
    co_await again.get_job_counts();
    q.close();
    again.close();
  });
}

TEST(eviction_policy, warns_once_when_redis_may_evict_queue_keys) {
  redis_server server(false, {"--maxmemory-policy", "allkeys-lru"});
  captured_log log;
  start_queue_and_worker(server.options());
  start_queue_and_worker(server.options());
  EXPECT_EQ(log.count("IMPORTANT! Eviction policy is allkeys-lru"), 1) << log.text();
  EXPECT_NE(log.text().find("It should be \"noeviction\""), std::string::npos) << log.text();
}

TEST(eviction_policy, is_silent_for_noeviction) {
  redis_server server(false, {"--maxmemory-policy", "noeviction"});
  captured_log log;
  start_queue_and_worker(server.options());
  EXPECT_EQ(log.count("Eviction policy"), 0) << log.text();
}

TEST(eviction_policy, is_silent_when_an_acl_refuses_info) {
  redis_server server(false, {"--maxmemory-policy", "volatile-lru"});
  // Quoted: cli() goes through a shell.
  server.cli("ACL SETUSER no-info on '>pw' '~*' '&*' '+@all' '-info'");
  auto opts = server.options();
  opts.username = "no-info";
  opts.password = "pw";
  captured_log log;
  start_queue_and_worker(opts);  // and the queues work regardless
  EXPECT_EQ(log.count("Eviction policy"), 0) << log.text();
}

TEST(eviction_policy, reads_the_policy_from_info_text) {
  using redis::eviction_policy::policy_in;
  EXPECT_EQ(policy_in("# Memory\r\nused_memory:1\r\nmaxmemory_policy:allkeys-lru\r\nx:1\r\n"), "allkeys-lru");
  EXPECT_EQ(policy_in("maxmemory_policy:noeviction"), "noeviction");
  EXPECT_EQ(policy_in("# Memory\r\nused_memory:1\r\n"), "");
  EXPECT_EQ(policy_in(""), "");
}

}  // namespace
}  // namespace drover
