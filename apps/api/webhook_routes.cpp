// webhook_routes.cpp - a webhook delivery and its attempts, read from the webhook-delivery queue.
#include "api/webhook_routes.hpp"

#include <boost/json/value.hpp>

#include <drover/json.hpp>
#include <drover/queue.hpp>
#include <drover_app/job_snapshot.hpp>
#include <drover_app/user_webhooks.hpp>

#include <algorithm>

#include "api/http_error.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

namespace {

net::awaitable<response> delivery(api_context& app, route_request& r) {
  const auto& req = r.req;
  std::string delivery_id = r.param("deliveryId");
  auto read = app::read_job_snapshot(app.webhook_queue, delivery_id);
  auto [state, j] = co_await std::move(read);
  if (!j || !r.who.owns(app::delivery_user(j->data))) throw http_error(http::status::not_found, "Delivery not found");
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
  // BullMQ keeps the last failed attempt's reason on a job that then succeeded: shown for
  // a delivery that failed (or is to be retried), a completed one's attempts say the rest
  // (a client reading the field as failure misread a success).
  if (j->failed_reason && state != job_state::completed) out["failedReason"] = *j->failed_reason;
  if (state == job_state::completed) out["result"] = j->returnvalue;
  out["createdAt"] = j->timestamp;
  if (j->finished_on) out["finishedAt"] = *j->finished_on;
  co_return json_response(req, http::status::ok, out);
}

// The key the caller's receiver verifies the deliveries to its send's webhookUrl with. In
// the development mode the caller acts for the ?userId= it names.
net::awaitable<response> signing_key(api_context& app, route_request& r) {
  std::string user = r.who.development ? std::string(r.query("userId").value_or("")) : r.who.user;
  if (user.empty()) throw http_error(http::status::bad_request, "'userId' is required");
  // Another user named: refused, as a send naming another userId is (the caller's own key
  // came back, which its receiver would then use for the other user's deliveries).
  if (auto named = r.query("userId"); !r.who.development && named && *named != user) {
    throw http_error(http::status::forbidden, "'userId' must be your own user (the token's subject)");
  }
  if (app.cfg.webhooks.api.empty()) {
    throw http_error(http::status::service_unavailable, "No webhook secret is configured (WEBHOOK_SECRET)");
  }
  json::object out;
  out["userId"] = user;
  out["key"] = app.cfg.webhooks.user_key(user);
  // During a rotation the deliveries carry both keys' signatures: a receiver moves to
  // `key` at its own pace, and drops previousKey when it is gone from here.
  if (app.cfg.previous_webhooks) {
    auto previous = app.cfg.previous_webhooks->user_key(user);
    if (previous != out["key"].as_string()) out["previousKey"] = std::move(previous);
  }
  co_return json_response(r.req, http::status::ok, out);
}

}  // namespace

void add_webhook_routes(route_table& table, api_context& app) {
  table.add(http::verb::get, "/api/webhooks/deliveries/:deliveryId", route_access::user,
            [&app](route_request& r) { return delivery(app, r); });
  table.add(http::verb::get, "/api/webhooks/signing-key", route_access::user,
            [&app](route_request& r) { return signing_key(app, r); });
}

}  // namespace drover::api
