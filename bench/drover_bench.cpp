// drover_bench.cpp - the drover side of the benchmark (bench/run.mjs):
//   drover_bench enqueue <redis-url> <queue> <jobs> <batch>
//     adds <jobs> no-op jobs in add_bulk() calls of <batch> jobs, one call in flight at
//     a time (as the benchmark uses BullMQ's Queue.addBulk), and prints
//     {"jobs":N,"seconds":S} measured around the adds only.
//   drover_bench worker <redis-url> <queue> <processor> <concurrency> [<lock ms> <stalled interval ms>]
//     a worker with one of the `drover worker` command's built-in processors, until
//     SIGTERM/SIGINT.
//   drover_bench latency <redis-url> <queue> <rate> <seconds> <warm-up seconds>
//     the producer and observer of bench/producers/latency.mjs with the library's own
//     queue::add and queue_events: one add every 1/<rate> s, open loop (never waiting
//     for a reply before the next), each timed from a steady_clock reading just before
//     its add to the moment its "completed" event is read. Prints "mark start" when the
//     first counted add is sent and "mark end" after the last one (bench/lib/measure.mjs
//     reads /proc between the two), then the JSON summary latency.mjs prints.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unordered_map>

#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
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

// Joins adds and completions by job id, whichever of the two is seen first.
class latency_book {
 public:
  using clock = std::chrono::steady_clock;
  explicit latency_book(long expected) : expected_(expected) { latencies_.reserve(static_cast<std::size_t>(expected)); }

  void added(const std::string& id, clock::time_point t_add, bool counted) {
    if (auto f = finished_.find(id); f != finished_.end()) {
      join(t_add, f->second, counted);
      finished_.erase(f);
    } else {
      added_.emplace(id, std::pair{t_add, counted});
    }
  }
  void completed(const std::string& id, clock::time_point t_done) {
    if (auto a = added_.find(id); a != added_.end()) {
      join(a->second.first, t_done, a->second.second);
      added_.erase(a);
    } else {
      finished_.emplace(id, t_done);
    }
  }
  bool done() const { return static_cast<long>(latencies_.size()) >= expected_; }

  std::string summary(double rate, double achieved_rate) {
    std::sort(latencies_.begin(), latencies_.end());
    const auto pct = [&](double p) {
      if (latencies_.empty()) return std::nan("");
      const auto n = static_cast<double>(latencies_.size());
      const auto i =
          std::min(latencies_.size() - 1, static_cast<std::size_t>(std::max(0.0, std::ceil(p / 100 * n) - 1)));
      return latencies_[i];
    };
    return fmt::format(
        "{{\"rate\":{},\"achievedRate\":{:.1f},\"offered\":{},\"n\":{},\"p50\":{:.4f},\"p95\":{:.4f},"
        "\"p99\":{:.4f},\"max\":{:.4f},\"lost\":{}}}",
        rate, achieved_rate, expected_, latencies_.size(), pct(50), pct(95), pct(99),
        latencies_.empty() ? std::nan("") : latencies_.back(), expected_ - static_cast<long>(latencies_.size()));
  }

 private:
  void join(clock::time_point t_add, clock::time_point t_done, bool counted) {
    if (counted) latencies_.push_back(std::chrono::duration<double, std::milli>(t_done - t_add).count());
  }
  long expected_;
  std::vector<double> latencies_;  // ms
  std::unordered_map<std::string, std::pair<clock::time_point, bool>> added_;
  std::unordered_map<std::string, clock::time_point> finished_;
};

int latency(const char* url, const char* name, double rate, double seconds, double warmup) {
  using clock = latency_book::clock;
  net::io_context io(1);
  drover::queue_options qo;
  qo.redis = drover::redis_options::from_url(url);
  drover::queue q(io.get_executor(), name, qo);
  drover::queue_events_options eo;
  eo.redis = qo.redis;
  eo.block = std::chrono::milliseconds(200);
  drover::queue_events events(io.get_executor(), name, eo);
  const long total = std::lround(rate * (warmup + seconds));
  const long warm = std::lround(rate * warmup);
  latency_book book(total - warm);
  double achieved_rate = 0;
  std::exception_ptr failure;
  const auto fail = [&](std::exception_ptr e) {
    if (e && !failure) failure = e;
    if (e) io.stop();
  };

  // The observer: reads until every counted job has completed, or 30 s after the last add.
  auto deadline = clock::time_point::max();
  auto observe = [&]() -> net::awaitable<void> {
    while (!book.done() && clock::now() < deadline) {
      auto batch = co_await events.next();
      const auto now = clock::now();
      for (const auto& ev : batch)
        if (ev.event == "completed") book.completed(ev.job_id, now);
    }
    io.stop();
  };
  auto offer = [&]() -> net::awaitable<void> {
    net::steady_timer timer(io);
    const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1 / rate));
    const auto t0 = clock::now();
    clock::time_point first_counted;
    for (long k = 0; k < total; ++k) {
      timer.expires_at(t0 + k * period);
      co_await timer.async_wait(net::use_awaitable);
      const bool counted = k >= warm;
      if (k == warm) {
        first_counted = clock::now();
        std::cout << "mark start" << std::endl;
      }
      const auto t_add = clock::now();
      net::co_spawn(
          io,
          [&, t_add, counted]() -> net::awaitable<void> {
            auto call = q.add("noop", boost::json::object{{"x", 1}});
            auto j = co_await std::move(call);
            book.added(j.id, t_add, counted);
          },
          fail);
    }
    const auto sent_for = std::chrono::duration<double>(clock::now() - first_counted).count();
    achieved_rate = static_cast<double>(total - warm - 1) / sent_for;
    std::cout << "mark end" << std::endl;
    deadline = clock::now() + std::chrono::seconds(30);
  };
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        // The observer's first read pins the stream's position ("$") before anything is added.
        net::co_spawn(io, observe(), fail);
        net::steady_timer settle(io, std::chrono::milliseconds(100));
        co_await settle.async_wait(net::use_awaitable);
        co_await offer();
      },
      fail);
  io.run();
  if (failure) std::rethrow_exception(failure);
  std::cout << book.summary(rate, achieved_rate) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "enqueue" && argc == 6)
      return enqueue(argv[2], argv[3], std::atol(argv[4]), std::max(1L, std::atol(argv[5])));
    if (mode == "latency" && argc == 7)
      return latency(argv[2], argv[3], std::atof(argv[4]), std::atof(argv[5]), std::atof(argv[6]));
    if (mode == "worker" && (argc == 6 || argc == 8)) {
      return work(argv[2], argv[3], argv[4], std::atoi(argv[5]), argc == 8 ? std::atol(argv[6]) : 0,
                  argc == 8 ? std::atol(argv[7]) : 0);
    }
  } catch (const std::exception& e) {
    std::cerr << "drover_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: drover_bench enqueue <redis-url> <queue> <jobs> <batch>\n"
               "       drover_bench worker <redis-url> <queue> <processor> <concurrency> [<lock ms> <stalled ms>]\n"
               "       drover_bench latency <redis-url> <queue> <rate> <seconds> <warm-up seconds>\n";
  return 2;
}
