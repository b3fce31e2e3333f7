// cancel_route.cpp - DELETE /api/chat/job/:jobId: cancels a chat job.
//
// 200 {jobId, outcome: "removed" | "signalled"}: the job was removed before it ran, or
// the worker running it was asked to stop (it then fails with reason "cancelled");
// 404 no such job; 409 it already finished. A Redis outage gives 503 through
// api_server::handle, as on every route.
#include <boost/json/object.hpp>

#include <drover/queue.hpp>

#include <string>

#include "api/api_server.hpp"
#include "api/chat_routes.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

net::awaitable<response> chat_routes::cancel_job(api_server& app, const request& req, std::string job_id) {
  std::string reason = "cancelled through the API";
  auto outcome = co_await app.ai_queue_.cancel(job_id, std::move(reason));
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
  co_return httpd::json_response(req, status, out);
}

}  // namespace drover::api
