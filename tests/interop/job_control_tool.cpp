// job_control_tool.cpp - a small C++ program the interop suite (job-control.test.mjs)
// runs to drive drover's job control against Node's BullMQ on one Redis: manual
// fetching, a lock extension, waiting for a job, removing orphans. One action per run;
// it prints one JSON object on stdout.
//
//   drover_job_control <redis-url> <queue> take-complete <token> <value-json>
//   drover_job_control <redis-url> <queue> take-fail <token> <reason>
//   drover_job_control <redis-url> <queue> take-extend <token> <lock-ms>
//   drover_job_control <redis-url> <queue> wait <job-id> <ttl-ms>
//   drover_job_control <redis-url> <queue> remove-orphans <count> <limit>
#include <drover/manual_worker.hpp>
#include <drover/queue.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct request {
  drover::redis_options redis;
  std::string queue, action, a, b;
};

// The answers, built outside the coroutines: GCC 12 miscompiles braced JSON in them.
json::object field(const char* name, json::value v) {
  json::object o;
  o[name] = std::move(v);
  return o;
}

drover::queue_options queue_opts(const request& r) { return drover::queue_options{"bull", r.redis}; }

net::awaitable<json::object> take(const request& r) {
  drover::worker_options o;
  o.redis = r.redis;
  o.name = "drover-manual";
  drover::manual_worker w(co_await net::this_coro::executor, r.queue, o);
  const std::string token = r.a;
  const auto block = std::chrono::milliseconds(5000);
  auto j = co_await w.get_next_job(token, block);
  if (!j) co_return field("id", nullptr);
  if (r.action == "take-complete") {
    json::value value = json::parse(r.b);
    co_await w.move_to_completed(*j, std::move(value), token, false);
  } else if (r.action == "take-fail") {
    const std::string reason = r.b;
    co_await w.move_to_failed(*j, reason, token);
  } else {
    const auto duration = std::chrono::milliseconds(std::stoll(r.b));
    co_await w.extend_lock(*j, token, duration);
  }
  w.close();
  co_return field("id", json::string(j->id));
}

net::awaitable<json::object> wait(const request& r) {
  auto ex = co_await net::this_coro::executor;
  drover::queue q(ex, r.queue, queue_opts(r));
  const std::string id = r.a;
  const auto ttl = std::chrono::milliseconds(std::stoll(r.b));
  json::object out;
  try {
    auto value = co_await q.wait_until_finished(id, ttl);
    out = field("returnvalue", std::move(value));
  } catch (const drover::job_failed& e) {
    out = field("failed", json::string(e.what()));
  } catch (const drover::error& e) {
    out = field("error", json::string(e.code().message()));
  }
  q.close();
  co_return out;
}

net::awaitable<json::object> remove_orphans(const request& r) {
  auto ex = co_await net::this_coro::executor;
  drover::queue q(ex, r.queue, queue_opts(r));
  const auto count = std::stoll(r.a), limit = std::stoll(r.b);
  auto removed = co_await q.remove_orphaned_jobs(count, limit);
  q.close();
  co_return field("removed", removed);
}

net::awaitable<json::object> act(request r) {
  if (r.action == "wait") co_return co_await wait(r);
  if (r.action == "remove-orphans") co_return co_await remove_orphans(r);
  co_return co_await take(r);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  static const std::vector<std::string> actions{"take-complete", "take-fail", "take-extend", "wait", "remove-orphans"};
  if (args.size() != 5 || std::find(actions.begin(), actions.end(), args[2]) == actions.end()) {
    std::cerr << "usage: drover_job_control <redis-url> <queue> <action> <arg> <arg>\n";
    return 2;
  }
  request r{drover::redis_options::from_url(args[0]), args[1], args[2], args[3], args[4]};
  net::io_context io;
  int rc = 0;
  net::co_spawn(io, act(std::move(r)), [&](std::exception_ptr e, json::object out) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "drover_job_control: " << ex.what() << "\n";
      }
      rc = 1;
      return;
    }
    std::cout << json::serialize(out) << "\n";
  });
  io.run();
  return rc;
}
