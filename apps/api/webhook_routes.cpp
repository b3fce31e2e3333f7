// webhook_routes.cpp - a webhook delivery and its attempts, read from the webhook-delivery queue.
#include "api/webhook_routes.hpp"

#include <boost/json/parse.hpp>

#include <drover/queue.hpp>

#include <algorithm>

#include "api/api_server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

using httpd::error_response;
using httpd::json_response;

net::awaitable<response> webhook_routes::delivery(api_server& app, const request& req, std::string delivery_id) {
  auto j = co_await app.webhook_queue_.get_job(delivery_id);
  if (!j) co_return error_response(req, http::status::not_found, "Delivery not found");
  auto state = co_await app.webhook_queue_.get_job_state(delivery_id);
  // Attempts come from the job's log; lines that are not attempt records (written by
  // someone else) are left out rather than failing the request.
  auto logs = co_await app.webhook_queue_.get_job_logs(delivery_id, 0, -1);
  const auto& lines = logs.first;
  json::array attempts;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (!ec && v.is_object() && v.get_object().contains("attempt")) attempts.push_back(std::move(v));
  }
  json::object out;
  out["id"] = j->id;
  out["name"] = j->name;
  out["state"] = state;
  if (j->data.is_object()) {
    if (const auto* url = j->data.get_object().if_contains("url")) out["url"] = *url;
  }
  out["attemptsMade"] = j->attempts_made;
  out["maxAttempts"] = std::max<std::int64_t>(1, j->opts.attempts.value_or(1));
  out["attempts"] = std::move(attempts);
  if (j->failed_reason) out["failedReason"] = *j->failed_reason;
  if (state == "completed") out["result"] = j->returnvalue;
  out["createdAt"] = j->timestamp;
  if (j->finished_on) out["finishedAt"] = *j->finished_on;
  co_return json_response(req, http::status::ok, out);
}

}  // namespace drover::api
