// ended_job.cpp - see ended_job.hpp.
#include "api/ended_job.hpp"

#include <spdlog/spdlog.h>

#include <drover/json.hpp>
#include <drover_app/clock.hpp>

#include "api/gone_job.hpp"
#include "api/job_room.hpp"
#include "api/user_backlog.hpp"

namespace json = boost::json;

namespace drover::api {

namespace {

// How long after its row's last update a job missing from Redis may still be one whose
// end the relay has read but not yet written (it writes every 500 ms).
constexpr std::int64_t relay_grace_ms = 5000;

}  // namespace

boost::asio::awaitable<std::optional<ended_job>> ended_chat_job(api_context& app, const caller& who,
                                                                const std::string& job_id) {
  auto* db = &app.db;
  auto work = [db, job_id]() { return db->get_job_log("ai-processing", job_id); };
  auto row = co_await app.in_db(work);
  if (!row || !who.owns(row->user_id.value_or(""))) co_return std::nullopt;
  // Gone from Redis with no end recorded: removed by a drain or a clean, which send no
  // event per job (an operator's drill had drained jobs say "waiting" for good). Only
  // when the relay has written every event it read, and the row has had no update for a
  // while: an end event the relay has not yet read would otherwise be answered as a
  // failure (a job removed by its queue's retention right after it completed). The row is
  // made final a moment after its last update, so that a later end still wins (an update
  // of the same rank and a later time replaces it).
  const bool unfinished = row->status == "pending" || row->status == "processing";
  if (unfinished && app::now_ms() - row->updated_at_ms > relay_grace_ms && app.relay_settled &&
      app.relay_settled(job_id)) {
    app::job_log_update u;
    u.queue = row->queue;
    u.job_id = row->job_id;
    u.status = "failed";
    u.error_message = std::string(gone_unfinished_reason);
    u.at_ms = row->updated_at_ms + 1;
    auto record = [db, u]() { db->record_job_logs({u}); };
    try {
      co_await app.in_db(record);
    } catch (const std::exception& e) {
      spdlog::warn("job {}: cannot record that it is gone from Redis: {}", job_id, e.what());
    }
    row->status = u.status;
    row->error_message = u.error_message;
    app.backlog.ended(job_id);  // its sender's place, if this process accepted it
    // No event will say it: those following the job hear it from here (a chat page showed
    // "thinking..." for good after a drain).
    fail_job_room(app.sio, job_id, u.error_message.value_or(""));
  }
  ended_job out;
  out.status = row->status == "pending" ? std::string("waiting") : row->status == "processing" ? "active" : row->status;
  if (row->status == "completed") {
    boost::system::error_code ec;
    json::value result = row->result_json ? drover::parse_json(*row->result_json, ec) : json::value(nullptr);
    out.outcome["result"] = ec ? json::value(nullptr) : std::move(result);
  } else if (row->status == "failed") {
    out.outcome["error"] = row->error_message.value_or("");
  }
  co_return out;
}

}  // namespace drover::api
