// queue_fixture.hpp - the base of the engine's integration tests: a fresh queue name on the
// suite's Redis (the shared redis-server, or on the cluster run the Redis Cluster ctest
// started: suite_cluster.hpp), its keys, and queue/worker options that reach it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include "support/redis_server.hpp"
#include "support/suite_cluster.hpp"

namespace drover::test {

// Job data {"n": n}: numbered jobs, told apart in a test.
inline boost::json::value with_n(std::int64_t n) { return boost::json::object{{"n", n}}; }

class queue_fixture : public ::testing::Test {
 public:
  // On the cluster the name is "{...}": "bull:{name}:suffix", one slot.
  std::string key(const std::string& suffix) const { return "bull:" + name + ":" + suffix; }
  // On the cluster, sent to the master that holds this queue (keyless commands too).
  std::string cli(const std::string& args) const { return test::suite_cli(key(""), args); }
  redis_options redis() const { return suite_redis_options(); }
  queue_options qopts() const { return queue_options{"bull", redis()}; }
  // Short drain delay: tests wait for empty queues to be noticed.
  worker_options wopts() const {
    worker_options o;
    o.redis = redis();
    o.drain_delay = std::chrono::milliseconds(200);
    return o;
  }

  boost::asio::awaitable<bool> state_is(queue& q, std::string id, job_state state) {
    co_return co_await q.get_job_state(std::move(id)) == state;
  }
  // Whether `n` jobs are in `state` ("completed", "wait", ...): a string literal.
  boost::asio::awaitable<bool> count_is(queue& q, const char* state, std::int64_t n) {
    auto c = co_await q.get_job_counts();
    co_return c[state] == n;
  }

  std::string name;

 protected:
  explicit queue_fixture(const char* label) : name(suite_queue_name(label)) {}
};

}  // namespace drover::test
