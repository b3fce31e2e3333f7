// commands.cpp - worker, add, counts, job, events and schedule on top of the library.
#include "commands.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include <drover/error.hpp>
#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
#include <drover/worker.hpp>

#include "cli_support.hpp"
#include "processors.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

int run_add(const add_command& c) {
  auto data = parse_json(c.data, "--data");
  auto opts = job_options::from_json(parse_json(c.opts, "--opts"));
  net::io_context io;
  queue q(io.get_executor(), c.common.queue, queue_opts(c.common));
  run_to_end(io, [&]() -> net::awaitable<void> {
    auto j = co_await q.add(c.name, std::move(data), std::move(opts));
    std::cout << j.id << std::endl;
  });
  return 0;
}

int run_events(const events_command& c) {
  net::io_context io;
  queue_events_options o;
  o.prefix = c.common.prefix;
  o.redis = c.common.redis();
  o.last_event_id = c.from;
  queue_events events(io.get_executor(), c.common.queue, o);
  net::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](auto, int) {
    stopping = true;
    events.close();
  });
  run_to_end(io, [&]() -> net::awaitable<void> {
    while (!stopping) {
      bool lost = false;
      try {
        for (const auto& ev : co_await events.next()) std::cout << json::serialize(ev.to_json()) << std::endl;
      } catch (const error& e) {
        if (stopping) break;
        if (!e.is(errc::redis_unavailable) && !e.is(errc::redis_timeout)) throw;
        spdlog::warn("events: {}; retrying", e.what());
        lost = true;
      }
      if (lost) {
        net::steady_timer t(io, std::chrono::milliseconds(500));
        co_await t.async_wait(net::use_awaitable);
      }
    }
  });
  return 0;
}

int run_schedule(const schedule_command& c) {
  if (c.id.empty()) throw error(errc::invalid_argument, "schedule needs --id");
  net::io_context io;
  queue q(io.get_executor(), c.common.queue, queue_opts(c.common));
  int rc = 0;
  run_to_end(io, [&]() -> net::awaitable<void> {
    if (c.action == "upsert") {
      auto repeat = repeat_options::from_json(parse_json(c.repeat, "--repeat"));
      job_template t;
      if (!c.name.empty()) t.name = c.name;
      t.data = parse_json(c.data, "--data");
      t.opts = job_options::from_json(parse_json(c.opts, "--opts"));
      auto next = co_await q.upsert_job_scheduler(c.id, std::move(repeat), std::move(t));
      std::cout << (next ? json::serialize(next->to_json()) : std::string("null")) << std::endl;
    } else if (c.action == "remove") {
      auto removed = co_await q.remove_job_scheduler(c.id);
      std::cout << (removed ? "true" : "false") << std::endl;
      if (!removed) rc = 3;
    } else {
      auto s = co_await q.get_job_scheduler(c.id);
      std::cout << (s ? json::serialize(s->to_json()) : std::string("null")) << std::endl;
      if (!s) rc = 3;
    }
  });
  return rc;
}

int run_worker(const worker_command& c) {
  auto proc = builtin_processor(c.processor);
  if (!proc) {
    throw error(errc::invalid_argument, fmt::format("unknown processor '{}' (known: {})", c.processor,
                                                    fmt::join(builtin_processor_names(), ", ")));
  }
  worker_options o;
  o.prefix = c.common.prefix;
  o.redis = c.common.redis();
  o.concurrency = c.concurrency;
  o.name = c.name;
  o.lock_duration = std::chrono::milliseconds(c.lock_duration_ms);
  o.stalled_interval = std::chrono::milliseconds(c.stalled_interval_ms);
  o.max_stalled_count = c.max_stalled;
  o.drain_delay = std::chrono::milliseconds(c.drain_delay_ms);
  o.metrics_max_data_points = c.metrics_points;
  o.default_timeout = std::chrono::milliseconds(c.default_timeout_ms);
  o.dead_letter_queue = c.dead_letter_queue;
  if (c.limit_max > 0) o.limiter = rate_limiter_options{c.limit_max, std::chrono::milliseconds(c.limit_duration_ms)};

  net::io_context io(1);
  worker w(io.get_executor(), c.common.queue, std::move(*proc), o);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: closing the worker of queue {} (up to {} ms for running jobs)", sig, c.common.queue,
                 c.shutdown_grace_ms);
    net::co_spawn(io, w.close(std::chrono::milliseconds(c.shutdown_grace_ms)), [&](std::exception_ptr) { io.stop(); });
  });
  w.start();
  spdlog::info("worker of queue {} started: processor {}, concurrency {}", c.common.queue, c.processor,
               c.concurrency);
  io.run();
  spdlog::info("worker of queue {} stopped after {} job(s)", c.common.queue, w.processed());
  return 0;
}

}  // namespace drover::cli
