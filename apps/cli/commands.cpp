// commands.cpp - worker, add, counts, job and events on top of the library.
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

#include "processors.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

json::value parse_json(const std::string& text, const char* what) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) throw error(errc::invalid_argument, fmt::format("{} is not valid JSON: {}", what, ec.message()));
  return v;
}

// Runs one coroutine to its end and rethrows what it threw.
template <class F>
void run_to_end(net::io_context& io, F&& f) {
  std::exception_ptr failure;
  net::co_spawn(io, std::forward<F>(f), [&](std::exception_ptr e) {
    failure = e;
    io.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

queue_options queue_opts(const common_options& c) {
  queue_options o;
  o.prefix = c.prefix;
  o.redis = c.redis();
  return o;
}

}  // namespace

redis_options common_options::redis() const {
  auto o = redis_url.empty() ? redis_options::from_env() : redis_options::from_url(redis_url);
  // A command-line tool should say quickly that Redis is not there.
  o.command_timeout = std::chrono::seconds(5);
  return o;
}

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

int run_counts(const common_options& c) {
  net::io_context io;
  queue q(io.get_executor(), c.queue, queue_opts(c));
  run_to_end(io, [&]() -> net::awaitable<void> {
    std::vector<std::string> types{"active",      "completed", "delayed", "failed",
                                   "paused",      "prioritized", "waiting", "waiting-children"};
    auto counts = co_await q.get_job_counts(std::move(types));
    json::object o;
    for (const auto& [k, v] : counts) o[k] = v;
    std::cout << json::serialize(o) << std::endl;
  });
  return 0;
}

int run_job(const common_options& c, const std::string& id) {
  net::io_context io;
  queue q(io.get_executor(), c.queue, queue_opts(c));
  int rc = 0;
  run_to_end(io, [&]() -> net::awaitable<void> {
    auto j = co_await q.get_job(id);
    if (!j) {
      std::cerr << fmt::format("drover: job {} not found in queue {}", id, c.queue) << std::endl;
      rc = 3;
      co_return;
    }
    auto o = j->to_json();
    o["state"] = co_await q.get_job_state(id);
    auto [logs, count] = co_await q.get_job_logs(id);
    json::array lines;
    for (auto& l : logs) lines.emplace_back(l);
    o["logs"] = std::move(lines);
    std::cout << json::serialize(o) << std::endl;
  });
  return rc;
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

int run_queue(const queue_command& c) {
  net::io_context io;
  queue q(io.get_executor(), c.common.queue, queue_opts(c.common));
  const auto& a = c.action;
  auto need_id = [&] {
    if (c.id.empty()) throw error(errc::invalid_argument, fmt::format("queue {} needs --id", a));
  };
  int rc = 0;
  run_to_end(io, [&]() -> net::awaitable<void> {
    if (a == "pause") {
      co_await q.pause();
    } else if (a == "resume") {
      co_await q.resume();
    } else if (a == "is-paused") {
      std::cout << (co_await q.is_paused() ? "true" : "false") << std::endl;
    } else if (a == "drain") {
      co_await q.drain(c.delayed);
    } else if (a == "clean") {
      std::string state = c.state.empty() ? std::string("completed") : c.state;
      std::chrono::milliseconds grace(c.grace_ms);
      auto ids = co_await q.clean(grace, c.limit, state);
      json::array out;
      for (auto& id : ids) out.emplace_back(id);
      std::cout << json::serialize(out) << std::endl;
    } else if (a == "obliterate") {
      co_await q.obliterate(c.force);
    } else if (a == "retry") {
      auto state = c.state.empty() ? std::string("failed") : c.state;
      if (c.id.empty()) {
        co_await q.retry_jobs(state);
      } else {
        co_await q.retry_job(c.id, state);
      }
    } else if (a == "promote") {
      if (c.id.empty()) {
        co_await q.promote_jobs();
      } else {
        co_await q.promote(c.id);
      }
    } else if (a == "remove") {
      need_id();
      auto removed = co_await q.remove(c.id);
      std::cout << (removed ? "true" : "false") << std::endl;
      if (!removed) rc = 3;
    } else if (a == "cancel") {
      need_id();
      auto outcome = co_await q.cancel(c.id, c.reason);
      json::object out{{"jobId", c.id}, {"outcome", to_string(outcome)}};
      std::cout << json::serialize(out) << std::endl;
      if (outcome == cancel_outcome::not_found || outcome == cancel_outcome::already_finished) rc = 3;
    } else if (a == "jobs") {
      std::vector<std::string> states;
      if (!c.state.empty()) states.push_back(c.state);
      auto jobs = co_await q.get_jobs(std::move(states), c.start, c.end, c.asc);
      json::array out;
      for (const auto& j : jobs) out.push_back(j.to_json());
      std::cout << json::serialize(out) << std::endl;
    } else if (a == "schedulers") {
      auto schedulers = co_await q.get_job_schedulers(c.start, c.end, c.asc);
      json::array out;
      for (const auto& s : schedulers) out.push_back(s.to_json());
      std::cout << json::serialize(out) << std::endl;
    } else if (a == "counts") {
      auto counts = co_await q.get_job_counts();
      json::object o;
      for (const auto& [k, v] : counts) o[k] = v;
      std::cout << json::serialize(o) << std::endl;
    } else if (a == "progress") {
      need_id();
      co_await q.update_progress(c.id, parse_json(c.value, "--value"));
    } else if (a == "log") {
      need_id();
      std::cout << co_await q.add_log(c.id, c.line) << std::endl;
    } else {
      throw error(errc::invalid_argument, fmt::format("unknown queue action '{}'", a));
    }
  });
  return rc;
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
