// job_flow.hpp - a queue and a worker on one Redis that count the jobs done, for tests
// that check jobs go through under some condition (TLS, a failover).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include "support/async.hpp"

namespace drover::test {

class job_flow {
 public:
  // A fresh queue name; the worker starts at once, with a short drain delay.
  job_flow(boost::asio::any_io_executor ex, const redis_options& redis)
      : name(unique_queue("flow")),
        done(std::make_shared<std::atomic<int>>(0)),
        q(ex, name, queue_options{"bull", redis}),
        w(ex, name, counting(done), worker_opts(redis)) {
    w.start();
  }

  // Waits until `n` jobs are done, up to `timeout`; whether they were.
  boost::asio::awaitable<bool> done_reaches(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    // Named, and capturing a plain pointer: GCC 12 destroys a lambda temporary in a
    // co_await expression twice (docs/contributing.md).
    auto* counter = done.get();
    auto reached = [counter, n]() -> boost::asio::awaitable<bool> { co_return *counter >= n; };
    auto wait = eventually(reached, timeout);
    co_return co_await std::move(wait);
  }

  boost::asio::awaitable<void> close() {
    co_await w.close(std::chrono::seconds(1));
    q.close();
  }

  std::string name;
  std::shared_ptr<std::atomic<int>> done;
  queue q;
  worker w;

 private:
  static processor counting(std::shared_ptr<std::atomic<int>> done) {
    return processor::async([done](job_context&) -> boost::asio::awaitable<boost::json::value> {
      ++*done;
      co_return "ok";
    });
  }
  static worker_options worker_opts(const redis_options& redis) {
    worker_options o;
    o.redis = redis;
    o.drain_delay = std::chrono::milliseconds(200);
    return o;
  }
};

}  // namespace drover::test
