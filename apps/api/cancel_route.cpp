// cancel_route.cpp - DELETE /api/chat/job/:jobId: cancels a chat job.
//
// 200 {jobId, outcome: "removed" | "signalled"}: the job was removed before it ran, or
// the worker running it was asked to stop (it then fails with reason "cancelled");
// 404 no such job, or not the caller's; 409 it already finished. A Redis outage gives
// 503 through the router, as on every route.
#include <boost/json/object.hpp>

#include <spdlog/spdlog.h>

#include <drover/queue.hpp>
#include <drover_app/clock.hpp>

#include <string>
#include <vector>

#include "api/chat_routes.hpp"
#include "api/ended_job.hpp"
#include "api/job_log_rows.hpp"
#include "api/job_owner.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

namespace {

// A job removed before it ran has ended: its record says so at once, so that a second
// click of cancel is a 409 and the status route reads failed, where both waited for the
// relay to read the removal (a 404 within the first half second). Dated after the
// removal, the row is not replaced by the relay's update from the removal's event, which
// says "(it was waiting)" where this says "(cancelled)": a millisecond past now, as the
// removal's event is most often dated within the same millisecond, and an equal date
// lets the later writer win (a contract review read "(it was waiting)" in 5 polls of 6).
// A database away leaves the row to the relay.
net::awaitable<void> record_removal(api_context& app, const std::string& job_id, const job& j) {
  // Its start too, as the relay writes it from the job's "added" entry: the relay may not
  // have read that yet, and a row of an earlier job of this id (ids restart when Redis
  // loses its data) is no longer this one's.
  auto started = pending_job_log(app.ai_queue.name(), job_id, j);
  started.at_ms = j.timestamp;
  started.begins = true;
  auto ended = started;
  ended.begins = false;
  ended.status = "failed";
  ended.error_message = "removed before it finished (cancelled)";
  ended.at_ms = app::now_ms() + 1;
  auto* db = &app.db;
  auto record = [db, rows = std::vector{std::move(started), std::move(ended)}]() { db->record_job_logs(rows); };
  try {
    co_await app.in_db(record);
  } catch (const std::exception& e) {
    spdlog::warn("job {}: cannot record its cancellation yet (the relay will): {}", job_id, e.what());
  }
}

}  // namespace

net::awaitable<httpd::response> cancel_chat_job(api_context& app, route_request& r) {
  std::string job_id = r.param("jobId");
  // The owner is read from the job before anything is touched. A job that ends between
  // the read and the cancel is answered 409 below, as it would be anyway.
  auto j = co_await app.ai_queue.get_job(job_id);
  auto outcome = cancel_outcome::not_found;
  if (j && r.who.owns(user_of_job_data(j->data))) {
    std::string reason = "cancelled through the API";
    outcome = co_await app.ai_queue.cancel(job_id, std::move(reason));
    if (outcome == cancel_outcome::removed) {
      auto recording = record_removal(app, job_id, *j);
      co_await std::move(recording);
    }
  } else if (!j) {
    // Gone from Redis: removed by an earlier cancel, or kept its hour after it ended.
    // A record of the caller's says it was theirs and has ended, whatever the record says
    // yet: the relay writes a removal's end a moment later (a second click of cancel
    // within it was a 404, where the first one's end calls for a 409).
    auto reading = ended_chat_job(app, r.who, job_id);
    auto ended = co_await std::move(reading);
    if (ended) outcome = cancel_outcome::already_finished;
  }
  json::object out;
  out["jobId"] = job_id;
  out["outcome"] = to_string(outcome);
  auto status = http::status::ok;
  if (outcome == cancel_outcome::not_found) {
    status = http::status::not_found;
    out["error"] = "Job not found";
  } else if (outcome == cancel_outcome::already_finished) {
    status = http::status::conflict;
    out["error"] = "Job already finished";
  }
  co_return httpd::json_response(r.req, status, out);
}

}  // namespace drover::api
