// drover_bench.cpp - bulk enqueue for the benchmark (bench/run.mjs):
//   drover_bench enqueue <redis-url> <queue> <jobs> <batch>
// adds <jobs> no-op jobs in add_bulk() calls of <batch> jobs, one call in flight at
// a time (as BullMQ's Queue.addBulk is used by the benchmark), and prints
// {"jobs":N,"seconds":S} measured around the adds only.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <drover/queue.hpp>

namespace net = boost::asio;

int main(int argc, char** argv) {
  if (argc != 6 || std::string(argv[1]) != "enqueue") {
    std::cerr << "usage: drover_bench enqueue <redis-url> <queue> <jobs> <batch>\n";
    return 2;
  }
  const auto jobs = std::atol(argv[4]);
  const auto batch = std::max(1L, std::atol(argv[5]));
  net::io_context io(1);
  drover::queue_options o;
  o.redis = drover::redis_options::from_url(argv[2]);
  drover::queue q(io.get_executor(), argv[3], o);
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
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "drover_bench: " << e.what() << "\n";
      return 1;
    }
  }
  std::cout << fmt::format("{{\"jobs\":{},\"seconds\":{:.6f}}}", jobs, seconds) << std::endl;
  return 0;
}
