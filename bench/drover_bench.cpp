// drover_bench.cpp - the drover side of the benchmark (bench/run.mjs):
//   drover_bench enqueue <redis-url> <queue> <jobs> <batch>
//     adds <jobs> no-op jobs in add_bulk() calls of <batch> jobs, one call in flight at
//     a time (as the benchmark uses BullMQ's Queue.addBulk), and prints
//     {"jobs":N,"seconds":S} measured around the adds only.
//   drover_bench worker <redis-url> <queue> <processor> <concurrency> [<lock ms> <stalled interval ms>]
//     a worker with one of the `drover worker` command's built-in processors, until
//     SIGTERM/SIGINT.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include "cli/processors.hpp"

namespace net = boost::asio;

namespace {

int enqueue(const char* url, const char* name, long jobs, long batch) {
  net::io_context io(1);
  drover::queue_options o;
  o.redis = drover::redis_options::from_url(url);
  drover::queue q(io.get_executor(), name, o);
  double seconds = 0;
  std::exception_ptr failure;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        const auto start = std::chrono::steady_clock::now();
        for (long done = 0; done < jobs;) {
          const long n = std::min(batch, jobs - done);
          std::vector<drover::new_job> chunk(static_cast<std::size_t>(n));
          for (long i = 0; i < n; ++i) {
            chunk[static_cast<std::size_t>(i)].name = "noop";
            chunk[static_cast<std::size_t>(i)].data = boost::json::object{{"i", done + i}};
          }
          co_await q.add_bulk(std::move(chunk));
          done += n;
        }
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      },
      [&](std::exception_ptr e) {
        failure = e;
        io.stop();
      });
  io.run();
  if (failure) std::rethrow_exception(failure);
  std::cout << fmt::format("{{\"jobs\":{},\"seconds\":{:.6f}}}", jobs, seconds) << std::endl;
  return 0;
}

int work(const char* url, const char* name, const std::string& processor, int concurrency, long lock_ms,
         long stalled_ms) {
  auto proc = drover::cli::builtin_processor(processor);
  if (!proc) throw std::invalid_argument("unknown processor " + processor);
  drover::worker_options o;
  o.redis = drover::redis_options::from_url(url);
  o.concurrency = concurrency;
  if (lock_ms > 0) o.lock_duration = std::chrono::milliseconds(lock_ms);
  if (stalled_ms > 0) o.stalled_interval = std::chrono::milliseconds(stalled_ms);
  net::io_context io(1);
  drover::worker w(io.get_executor(), name, std::move(*proc), o);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    net::co_spawn(io, w.close(std::chrono::seconds(2)), [&](std::exception_ptr) { io.stop(); });
  });
  w.start();
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "enqueue" && argc == 6)
      return enqueue(argv[2], argv[3], std::atol(argv[4]), std::max(1L, std::atol(argv[5])));
    if (mode == "worker" && (argc == 6 || argc == 8)) {
      return work(argv[2], argv[3], argv[4], std::atoi(argv[5]), argc == 8 ? std::atol(argv[6]) : 0,
                  argc == 8 ? std::atol(argv[7]) : 0);
    }
  } catch (const std::exception& e) {
    std::cerr << "drover_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: drover_bench enqueue <redis-url> <queue> <jobs> <batch>\n"
               "       drover_bench worker <redis-url> <queue> <processor> <concurrency> [<lock ms> <stalled ms>]\n";
  return 2;
}
