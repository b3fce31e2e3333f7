// main.cpp - the smallest drover program: add a job, process it, print the result.
//
// Run it against any Redis: REDIS_URL=redis://127.0.0.1:6379 ./consumer
//
// Arguments of awaited calls are named first (`auto progress = ...;`): GCC 12 mishandles
// temporaries inside a co_await expression (README, "GCC 12").
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <iostream>

#include <drover/drover.hpp>

namespace net = boost::asio;
namespace json = boost::json;

int main() {
  net::io_context io;
  std::string queue_name = "example-" + std::to_string(std::time(nullptr));

  // The worker: an asynchronous processor that greets whoever the job names.
  drover::worker worker(
      io.get_executor(), queue_name,
      drover::processor::async([](drover::job_context& ctx) -> net::awaitable<json::value> {
        json::value progress = 100;
        co_await ctx.update_progress(progress);
        co_return json::object{{"greeting", "hello, " + json::value_to<std::string>(ctx.job().data.at("name"))}};
      }),
      drover::worker_options{.concurrency = 2});
  worker.start();

  int rc = 1;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        drover::queue queue(io.get_executor(), queue_name);
        json::value data = json::parse(R"({"name":"drover"})");
        auto job = co_await queue.add("greet", data);
        // Poll until the worker is done (a real program would use queue_events).
        for (int i = 0; i < 200; ++i) {
          std::string id = job.id;
          if (co_await queue.get_job_state(id) == drover::job_state::completed) break;
          net::steady_timer t(io, std::chrono::milliseconds(25));
          co_await t.async_wait(net::use_awaitable);
        }
        std::string id = job.id;
        auto done = co_await queue.get_job(id);
        if (done && !done->returnvalue.is_null()) {
          std::cout << json::serialize(done->returnvalue) << std::endl;
          rc = 0;
        }
        co_await worker.close();
        co_await queue.pause();
        co_await queue.obliterate(true);
        queue.close();
      },
      [&](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            std::cerr << "error: " << ex.what() << "\n";
          }
        }
        io.stop();
      });
  io.run();
  return rc;
}
