// identity_worker_tool.cpp - drover's side of the identity test (identity.test.mjs): one
// drover::worker, concurrency 1, whose processor does what the test's Node processor does
// for the same job data (same return values, failures, progress and log calls), so that
// the Redis state the two workers leave can be compared key by key. Runs until SIGINT or
// SIGTERM.
//
//   drover_identity_worker <redis-url> <queue> <worker-name> <limit-max> <limit-duration-ms>
#include <drover/error.hpp>
#include <drover/worker.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace json = boost::json;

namespace {

// The arguments of co_await calls are named first (a braced JSON one built out here, the
// log lines as std::string): GCC 12 miscompiles such temporaries in a co_await.
json::value steps(std::int64_t step, std::int64_t of) {
  json::object o;
  o["step"] = step;
  o["of"] = of;
  return o;
}

// The twin of the Node processor in identity.test.mjs: keep the two in step.
net::awaitable<json::value> identity_processor(drover::job_context& ctx) {
  const auto& data = ctx.job().data.as_object();
  const std::string op(data.at("op").as_string());
  const auto attempt = ctx.job().attempts_made + 1;
  // Every job takes a few ms, so that no two jobs finish in the same ms and the
  // timestamp-scored sets have the same order in both runs.
  net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(3));
  co_await pause.async_wait(net::use_awaitable);
  if (op == "double") co_return json::object{{"doubled", data.at("n").as_int64() * 2}};
  if (op == "flaky") {
    if (attempt <= data.at("failUntil").as_int64())
      throw std::runtime_error("flaky attempt " + std::to_string(attempt));
    co_return json::object{{"attempt", attempt}};
  }
  if (op == "fail") throw std::runtime_error("always fails");
  if (op == "unrecoverable") throw drover::unrecoverable_error("unrecoverable: bad input");
  if (op == "progress") {
    co_await ctx.update_progress(25);
    co_await ctx.log(std::string("started"));
    json::value second_step = steps(2, 2);
    co_await ctx.update_progress(std::move(second_step));
    co_await ctx.log(std::string("halfway"));
    co_await ctx.log(std::string("done"));
    co_return json::string("progressed");
  }
  if (op == "parent") {
    auto values = co_await ctx.children_values();
    co_return json::object{{"children", std::move(values)}};
  }
  throw std::runtime_error("unknown op " + op);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() != 5) {
    std::cerr << "usage: drover_identity_worker <redis-url> <queue> <worker-name> <limit-max, 0 for none> "
                 "<limit-duration-ms>\n";
    return 2;
  }
  drover::worker_options o;
  o.redis = drover::redis_options::from_url(args[0]);
  o.name = args[2];
  o.concurrency = 1;
  // A limit of 0: no rate limiter.
  if (std::stoll(args[3]) > 0) {
    o.limiter = drover::rate_limiter_options{std::stoll(args[3]), std::chrono::milliseconds(std::stoll(args[4]))};
  }
  // No heartbeat: its report (<queue>:drover:workers) is drover's own key, which the
  // Node run would not have.
  o.heartbeat_interval = std::chrono::milliseconds(0);
  o.tracing = {};  // no spans: the job hash stays as Node's worker leaves it

  net::io_context io(1);
  drover::worker w(io.get_executor(), args[1], drover::processor::async(identity_processor), o);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    net::co_spawn(io, w.close(std::chrono::seconds(5)), [&](std::exception_ptr) { io.stop(); });
  });
  w.start();
  std::cerr << "drover_identity_worker: started on " << args[1] << "\n";
  io.run();
  return 0;
}
