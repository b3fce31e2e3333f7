// job_log_reconciler.cpp - job_logs rows made final from the jobs' own state.
#include "api/job_log_reconciler.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "api/blocking_call.hpp"
#include "api/gone_job.hpp"
#include <drover/json.hpp>
#include <drover_app/job_snapshot.hpp>

namespace json = boost::json;

namespace drover::api {

namespace {

constexpr auto reconcile_deadline = std::chrono::seconds(10);

// The final update a job in `state` makes, or nullopt while it is not finished.
std::optional<app::job_log_update> final_update(const std::string& queue_name, const std::string& id,
                                                const std::optional<job>& j, std::optional<job_state> state) {
  app::job_log_update u;
  u.queue = queue_name;
  u.job_id = id;
  if (!j) {
    u.status = "failed";
    u.error_message = std::string(gone_unrecorded_reason);
    return u;
  }
  if (state != job_state::completed && state != job_state::failed) return std::nullopt;
  u.job_type = j->name;
  u.status = to_string(state);
  u.attempts = static_cast<int>(j->attempts_made);
  u.at_ms = j->finished_on.value_or(0);
  if (state == job_state::completed) {
    u.result_json = drover::serialize_json(j->returnvalue);
  } else {
    u.error_message = j->failed_reason.value_or("");
    if (!j->stacktrace.empty()) u.error_stack = j->stacktrace.back();
  }
  return u;
}

}  // namespace

boost::asio::awaitable<std::size_t> reconcile_job_logs(boost::asio::any_io_executor ex, queue& jobs, app::database& db,
                                                       boost::asio::thread_pool& db_pool, app::queue_shard shard,
                                                       std::size_t limit) {
  const auto& queue_name = shard.logical;
  auto read = [&db, queue_name, limit]() { return db.unfinished_job_logs(queue_name, limit); };
  auto rows = co_await blocking_call(ex, db_pool, read, reconcile_deadline);
  if (rows.size() == limit) {
    spdlog::warn("relay {}: reconciling the first {} unfinished job_logs rows; the rest wait for their events",
                 queue_name, limit);
  }
  std::vector<app::job_log_update> updates;
  for (const auto& row : rows) {
    auto own_id = shard.own_id(row.job_id);
    if (!own_id) continue;  // another shard's job (its relay reconciles it), or no job's id
    // Named awaitables: GCC 12 and temporaries inside co_await (docs/contributing.md).
    auto snapshot = app::read_job_snapshot(jobs, *own_id);
    auto [state, j] = co_await std::move(snapshot);
    if (auto u = final_update(queue_name, row.job_id, j, state)) updates.push_back(std::move(*u));
  }
  if (!updates.empty()) {
    auto write = [&db, updates]() { db.record_job_logs(updates); };
    co_await blocking_call(ex, db_pool, write, reconcile_deadline);
  }
  co_return updates.size();
}

}  // namespace drover::api
