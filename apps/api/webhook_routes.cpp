// webhook_routes.cpp - a webhook delivery and its attempts, read from the webhook-delivery queue.
#include "api/webhook_routes.hpp"

#include <boost/json/value.hpp>

#include <drover/json.hpp>
#include <drover/queue.hpp>
#include <drover_app/job_snapshot.hpp>

#include <algorithm>

#include "api/http_error.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

namespace {

// The user a delivery reports to: the userId of the payload it carries.
std::string owner_of_delivery(const json::value& data) {
  const auto* o = data.if_object();
  if (!o) return {};
  const auto* payload = o->if_contains("payload");
  if (!payload || !payload->is_object()) return {};
  const auto* user = payload->get_object().if_contains("userId");
  return user && user->is_string() ? std::string(user->get_string()) : std::string();
}

net::awaitable<response> delivery(api_context& app, route_request& r) {
  const auto& req = r.req;
  std::string delivery_id = r.param("deliveryId");
  auto read = app::read_job_snapshot(app.webhook_queue, delivery_id);
  auto [state, j] = co_await std::move(read);
  if (!j || !r.who.owns(owner_of_delivery(j->data))) throw http_error(http::status::not_found, "Delivery not found");
  // Attempts come from the job's log; lines that are not attempt records (written by
  // someone else) are left out rather than failing the request.
  auto logs = co_await app.webhook_queue.get_job_logs(delivery_id, 0, -1);
  const auto& lines = logs.first;
  json::array attempts;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto v = drover::parse_json(line, ec);
    if (!ec && v.is_object() && v.get_object().contains("attempt")) attempts.push_back(std::move(v));
  }
  json::object out;
  out["id"] = j->id;
  out["name"] = j->name;
  out["state"] = to_string(state);
  if (j->data.is_object()) {
    if (const auto* url = j->data.get_object().if_contains("url")) out["url"] = *url;
  }
  out["attemptsMade"] = j->attempts_made;
  out["maxAttempts"] = std::max<std::int64_t>(1, j->opts.attempts.value_or(1));
  out["attempts"] = std::move(attempts);
  if (j->failed_reason) out["failedReason"] = *j->failed_reason;
  if (state == job_state::completed) out["result"] = j->returnvalue;
  out["createdAt"] = j->timestamp;
  if (j->finished_on) out["finishedAt"] = *j->finished_on;
  co_return json_response(req, http::status::ok, out);
}

}  // namespace

void add_webhook_routes(route_table& table, api_context& app) {
  table.add(http::verb::get, "/api/webhooks/deliveries/:deliveryId", route_access::user,
            [&app](route_request& r) { return delivery(app, r); });
}

}  // namespace drover::api
