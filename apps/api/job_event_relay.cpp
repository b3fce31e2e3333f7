// job_event_relay.cpp - queue events to browsers (Socket.IO) and to job_logs (batched).
#include "api/job_event_relay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <drover_app/clock.hpp>

#include "api/blocking_call.hpp"
#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

using app::now_ms;

namespace {

constexpr std::chrono::milliseconds flush_interval{500};
constexpr std::size_t flush_batch = 500;

}  // namespace

job_event_relay::job_event_relay(net::any_io_executor ex, std::string queue_name, queue_events_options opts,
                                 socketio::server* sio, app::database* db, net::thread_pool& db_pool)
    : ex_(ex),
      queue_name_(queue_name),
      events_(ex, queue_name, opts),
      reader_(ex, queue_name, queue_options{opts.prefix, opts.redis}),
      sio_(sio),
      db_(db),
      db_pool_(db_pool) {}

void job_event_relay::start() {
  net::co_spawn(ex_, follow(), net::detached);
  net::co_spawn(ex_, flush_loop(), net::detached);
}

void job_event_relay::stop() {
  stopped_ = true;
  events_.close();
  reader_.close();
}

void job_event_relay::record_pending(const job& j, const std::string& user_id) {
  app::job_log_update u;
  u.queue = queue_name_;
  u.job_id = j.id;
  u.job_type = j.name;
  u.status = "pending";
  u.user_id = user_id;
  u.payload_json = json::serialize(j.data);
  u.at_ms = now_ms();
  pending_.push_back(std::move(u));
}

net::awaitable<void> job_event_relay::follow() {
  while (!stopped_) {
    std::vector<queue_event> batch;
    bool failed = false;
    try {
      batch = co_await events_.next();
    } catch (const std::exception& e) {
      if (stopped_) break;
      spdlog::warn("relay {}: reading events failed: {}; retrying", queue_name_, e.what());
      failed = true;
    }
    if (failed) {
      net::steady_timer t(ex_, std::chrono::milliseconds(500));
      co_await t.async_wait(net::use_awaitable);
      continue;
    }
    for (const auto& e : batch) co_await on_event(e);
  }
}

net::awaitable<void> job_event_relay::on_event(const queue_event& e) {
  if (e.job_id.empty()) co_return;
  const std::string room = "job:" + e.job_id;
  app::job_log_update u;
  u.queue = queue_name_;
  u.job_id = e.job_id;
  u.at_ms = now_ms();
  if (e.event == "progress") {
    json::object payload;
    payload["jobId"] = e.job_id;
    payload["progress"] = e.fields.contains("data") ? e.fields.at("data") : json::value(nullptr);
    json::array args;
    args.push_back(std::move(payload));
    if (sio_) sio_->emit_to_room(room, "job-progress", std::move(args));
  } else if (e.event == "active") {
    u.status = "processing";
    pending_.push_back(std::move(u));
  } else if (e.event == "completed") {
    json::object payload;
    payload["jobId"] = e.job_id;
    payload["result"] = e.fields.contains("returnvalue") ? e.fields.at("returnvalue") : json::value(nullptr);
    u.status = "completed";
    u.result_json = json::serialize(payload["result"]);
    pending_.push_back(std::move(u));
    json::array args;
    args.push_back(std::move(payload));
    if (sio_) sio_->emit_to_room(room, "job-completed", std::move(args));
  } else if (e.event == "failed") {
    std::string reason;
    if (auto* r = e.fields.if_contains("failedReason"); r && r->is_string()) reason = std::string(r->get_string());
    u.status = "failed";
    u.error_message = reason;
    // The stack trace is not in the event; read it from the job (it may be gone already).
    std::optional<job> j;
    try {
      j = co_await reader_.get_job(e.job_id);
    } catch (const std::exception&) {
    }
    if (j) {
      u.attempts = j->attempts_made;
      if (!j->stacktrace.empty()) u.error_stack = j->stacktrace.back();
    }
    pending_.push_back(std::move(u));
    json::object payload;
    payload["jobId"] = e.job_id;
    payload["error"] = reason;
    json::array args;
    args.push_back(std::move(payload));
    if (sio_) sio_->emit_to_room(room, "job-failed", std::move(args));
  }
  while (pending_.size() > max_buffered) {
    spdlog::error("relay {}: job_logs buffer full; dropping the log of job {}", queue_name_, pending_.front().job_id);
    pending_.pop_front();
  }
}

namespace {

// Writes the batch. When the database answers but refuses the batch, one bad row must not
// hold back every later one: the rows go one by one and the refused ones are returned
// (dropped). Throws when the database is away, so that the caller keeps the batch.
std::vector<std::pair<std::string, std::string>> write_job_logs(app::database& db,
                                                                const std::vector<app::job_log_update>& batch) {
  try {
    db.record_job_logs(batch);
    return {};
  } catch (const std::exception&) {
    db.ping();
  }
  std::vector<std::pair<std::string, std::string>> refused;
  for (const auto& u : batch) {
    try {
      db.record_job_logs({u});
    } catch (const std::exception& e) {
      db.ping();  // gone in the meantime: keep the rest for later
      refused.emplace_back(u.job_id, e.what());
    }
  }
  return refused;
}

}  // namespace

net::awaitable<void> job_event_relay::flush_loop() {
  net::steady_timer t(ex_);
  bool warned = false;
  while (!stopped_ || !pending_.empty()) {
    t.expires_after(flush_interval);
    co_await t.async_wait(net::use_awaitable);
    if (pending_.empty() || !db_) {
      if (stopped_) break;
      continue;
    }
    auto n = std::min(pending_.size(), flush_batch);
    std::vector<app::job_log_update> batch(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    bool ok = true;
    std::string why;
    std::vector<std::pair<std::string, std::string>> dropped;  // job id, reason
    try {
      auto* db = db_;
      auto work = [db, batch]() { return write_job_logs(*db, batch); };
      dropped = co_await blocking_call(ex_, db_pool_, work, std::chrono::seconds(5));
    } catch (const std::exception& e) {
      ok = false;
      why = e.what();
    }
    for (const auto& [job_id, reason] : dropped) {
      spdlog::error("relay {}: dropping a job_logs update of job {} that the database refuses: {}", queue_name_, job_id,
                    reason);
    }
    if (ok) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
      if (warned) spdlog::info("relay {}: job_logs writes resumed", queue_name_);
      warned = false;
    } else {
      // Keep the batch: it is written once the database is back.
      if (!warned) spdlog::warn("relay {}: cannot write job_logs ({}); keeping {} updates", queue_name_, why, pending_.size());
      warned = true;
      if (stopped_) break;
    }
  }
}

}  // namespace drover::api
