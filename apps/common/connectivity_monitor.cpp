// connectivity_monitor.cpp - the probe loop and its lost/regained log lines.
#include "drover_app/connectivity_monitor.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "drover_app/blocking_call.hpp"
#include "drover_app/fast_fail.hpp"

namespace net = boost::asio;

namespace drover::app {

struct connectivity_monitor::state {
  explicit state(net::any_io_executor ex) : timer(ex) {}
  net::steady_timer timer;
  bool stopped = false;
};

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

connectivity_monitor::connectivity_monitor(net::any_io_executor ex, metrics::registry& r, redis_options redis,
                                           std::string client_name)
    : ex_(ex),
      endpoint_(redis.endpoint()),
      redis_(ex, fast_fail(std::move(redis)), std::move(client_name)),
      roundtrip_(r.add_histogram("drover_redis_roundtrip_seconds", "Time a PING to Redis takes to be answered.", {},
                                 metrics::latency_buckets())),
      redis_up_(r.add_gauge("drover_redis_up", "1 when Redis answered the last PING, else 0.")),
      registry_(r) {
  redis_up_.with({}).set(0);
}

connectivity_monitor::~connectivity_monitor() { stop(); }

void connectivity_monitor::watch_database(database& db, net::thread_pool& pool) {
  db_ = &db;
  pool_ = &pool;
  if (!database_up_) {
    database_up_ = &registry_.add_gauge("drover_database_up", "1 when the database answered the last ping, else 0.");
  }
}

void connectivity_monitor::start(std::chrono::milliseconds interval) {
  interval_ = interval;
  state_ = std::make_shared<state>(ex_);
  auto s = state_;
  net::co_spawn(ex_, loop(s), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("connectivity monitor stopped: {}", ex.what());
    }
  });
}

void connectivity_monitor::stop() {
  if (state_) {
    state_->stopped = true;
    state_->timer.cancel();
    state_.reset();
  }
  redis_.close();
}

net::awaitable<void> connectivity_monitor::loop(std::shared_ptr<state> s) {
  while (!s->stopped) {
    co_await probe();
    if (s->stopped) break;
    s->timer.expires_after(interval_);
    boost::system::error_code ec;
    co_await s->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<void> connectivity_monitor::probe() {
  if (std::chrono::steady_clock::now() - last_probe_ < std::chrono::seconds(1)) co_return;
  last_probe_ = std::chrono::steady_clock::now();
  co_await probe_redis();
  if (db_) {
    const std::chrono::milliseconds deadline(3000);  // named: no temporaries in co_await (GCC 12)
    co_await probe_database(deadline);
  }
}

net::awaitable<bool> connectivity_monitor::database_answers(std::chrono::milliseconds deadline) {
  if (!db_) co_return true;
  co_return co_await probe_database(deadline);
}

net::awaitable<void> connectivity_monitor::probe_redis() {
  std::string problem;
  try {
    auto took = co_await redis_.ping();
    roundtrip_.with({}).observe(std::chrono::duration<double>(took).count());
  } catch (const std::exception& e) {
    problem = e.what();
    if (problem.empty()) problem = "no answer";
  }
  redis_up_.with({}).set(problem.empty() ? 1 : 0);
  if (!problem.empty() && !redis_lost_at_) {
    redis_lost_at_ = std::chrono::steady_clock::now();
    spdlog::warn("redis: connection lost ({}): {}", endpoint_, problem);
  } else if (problem.empty() && redis_lost_at_) {
    spdlog::info("redis: connection regained ({}) after {:.1f} s", endpoint_, seconds_since(*redis_lost_at_));
    redis_lost_at_.reset();
  }
}

net::awaitable<bool> connectivity_monitor::probe_database(std::chrono::milliseconds deadline) {
  std::string problem;
  auto* db = db_;
  auto ping = [db] { db->ping(); };
  try {
    co_await blocking_call(ex_, *pool_, ping, deadline);
  } catch (const deadline_exceeded&) {
    problem = fmt::format("no answer within {} ms", deadline.count());
  } catch (const std::exception& e) {
    problem = e.what();
  }
  database_up_->with({}).set(problem.empty() ? 1 : 0);
  if (!problem.empty() && !database_lost_at_) {
    database_lost_at_ = std::chrono::steady_clock::now();
    spdlog::warn("database: connection lost: {}", problem);
  } else if (problem.empty() && database_lost_at_) {
    spdlog::info("database: connection regained after {:.1f} s", seconds_since(*database_lost_at_));
    database_lost_at_.reset();
  }
  co_return problem.empty();
}

}  // namespace drover::app
