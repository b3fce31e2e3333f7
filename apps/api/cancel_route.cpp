// cancel_route.cpp - DELETE /api/chat/job/:jobId: cancels a chat job.
//
// 200 {jobId, outcome: "removed" | "signalled"}: the job was removed before it ran, or
// the worker running it was asked to stop (it then fails with reason "cancelled");
// 404 no such job, or not the caller's; 409 it already finished. A Redis outage gives
// 503 through the router, as on every route.
#include <boost/json/object.hpp>

#include <drover/queue.hpp>

#include <string>

#include "api/chat_routes.hpp"
#include "api/ended_job.hpp"
#include "api/job_owner.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

net::awaitable<httpd::response> cancel_chat_job(api_context& app, route_request& r) {
  std::string job_id = r.param("jobId");
  // The owner is read from the job before anything is touched. A job that ends between
  // the read and the cancel is answered 409 below, as it would be anyway.
  auto j = co_await app.ai_queue.get_job(job_id);
  auto outcome = cancel_outcome::not_found;
  if (j && r.who.owns(user_of_job_data(j->data))) {
    std::string reason = "cancelled through the API";
    outcome = co_await app.ai_queue.cancel(job_id, std::move(reason));
  } else if (!j) {
    // Gone from Redis: removed by an earlier cancel, or kept its hour after it ended.
    // Its record says whether it finished (a second cancel was a 404, not the 409 the
    // first one's end calls for).
    auto reading = ended_chat_job(app, r.who, job_id);
    auto ended = co_await std::move(reading);
    if (ended && (ended->status == "completed" || ended->status == "failed")) {
      outcome = cancel_outcome::already_finished;
    }
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
