// webhook_delivery.cpp - the webhook-delivery processor: POST, classify the answer, log it.
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>
#include <random>

#include <drover/json.hpp>
#include <drover_app/utf8.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/clock.hpp>
#include <drover_app/held_amounts.hpp>
#include <drover_app/user_webhooks.hpp>
#include <drover_app/webhook_secrets.hpp>

#include "workers/address_policy.hpp"
#include "workers/delivery_policy.hpp"
#include "workers/http_client.hpp"
#include "workers/processors.hpp"
#include "workers/retry_after.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::workers {

namespace {

// A user's deliveries in flight in this process, each user's at most one: a receiver that
// never answers holds its slot 10 s an attempt, and one user's many deliveries to it held
// every user's slot (a security review's other user waited 96 s for a receiver that
// answered in 0.2 s).
constexpr std::size_t deliveries_per_user = 1;

// How long a user's delivery is put off when the users' slots, or its user's one, are
// taken: a random part spreads those put off together, and a put off delivery's move
// costs Redis a script and an event (at 250 ms, 55 waiting deliveries cost 9,000 ops/s).
constexpr std::int64_t slots_taken_pause_ms = 1000;
constexpr std::int64_t user_busy_pause_ms = 3000;

std::int64_t put_off_until(std::int64_t pause_ms) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> spread(0, pause_ms / 2);
  return app::now_ms() + pause_ms + spread(random);
}

// Whose delivery this is, for its share of the slots: the payload's user, else the
// receiver's host (a delivery queued by hand names no user).
std::string delivery_owner(const json::value& data, const std::string& user) {
  if (!user.empty()) return "user " + user;
  if (const auto* o = data.if_object()) {
    if (const auto* url = o->if_contains("url"); url && url->is_string()) {
      if (auto u = boost::urls::parse_absolute_uri(url->get_string())) return "host " + std::string(u->encoded_host());
    }
  }
  return "unknown";
}

// What is read of a receiver's answer's body: the status decides, and a failed attempt's
// record shows the start of the body.
constexpr std::size_t answer_kept = 200;

}  // namespace

namespace {

// One attempt as a line of the job's log: JSON, so that the API can show the attempts
// and a dashboard still shows readable text.
std::string attempt_record(int attempt, std::int64_t at_ms, std::int64_t duration_ms, unsigned status,
                           const std::string& error) {
  json::object o;
  o["attempt"] = attempt;
  o["at"] = at_ms;
  o["durationMs"] = duration_ms;
  if (status != 0) o["status"] = status;
  if (!error.empty()) o["error"] = error;
  return drover::serialize_json(o);
}

}  // namespace

processor webhook_delivery_processor(delivery_keys keys, const api_receiver_address& api_receiver,
                                     const address_policy& destinations, const address_policy& user_destinations,
                                     std::size_t user_slots, std::string alert_url, net::any_io_executor user_lookups) {
  // The processor runs on the Workers app's one executor.
  auto users_in_flight = std::make_shared<app::held_amounts>();
  return processor::async([keys, &api_receiver, &destinations, &user_destinations, user_slots, users_in_flight,
                           alert_url, user_lookups](job_context& ctx) -> net::awaitable<json::value> {
    const auto& j = ctx.job();
    // A user's URL (delivery_policy.hpp gives those a priority): within the users' share
    // of the slots and its user's one, or put off for a while without using an attempt;
    // the slots left are the API's own deliveries'.
    std::optional<app::held_amounts::holding> user_slot;
    const auto user = app::delivery_user(j.data);
    if (user_given_delivery(j)) {
      auto owner = delivery_owner(j.data, user);
      if (users_in_flight->total() >= user_slots) throw move_to_delayed(put_off_until(slots_taken_pause_ms));
      if (users_in_flight->of(owner) >= deliveries_per_user) throw move_to_delayed(put_off_until(user_busy_pause_ms));
      user_slot = users_in_flight->hold(1, {std::move(owner)});
    }
    if (!j.data.is_object()) throw unrecoverable_error("webhook-delivery needs an object as job data");
    const auto& data = j.data.get_object();
    auto* url = data.if_contains("url");
    const auto* alert = data.if_contains("alert");
    const bool to_alert_receiver = !url && alert && alert->is_bool() && alert->get_bool();
    if (to_alert_receiver && alert_url.empty()) {
      throw unrecoverable_error("an alert message, but this Workers app has no ALERT_WEBHOOK_URL");
    }
    if (!to_alert_receiver && (!url || !url->is_string())) throw unrecoverable_error("webhook-delivery needs data.url");
    http_request req;
    req.url = to_alert_receiver ? alert_url : std::string(url->get_string());
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = data.contains("payload") ? drover::serialize_json(data.at("payload")) : std::string("{}");
    // Signed (Standard Webhooks), never the secret itself: a webhook URL may belong to
    // anyone. The delivery job's id is the webhook id, so retries carry the same one.
    // The app id, "<shard>-<id>" when the queue is sharded: the id the API looks up.
    const auto timestamp = app::now_ms() / 1000;
    const auto webhook_id = app::app_job_id_in(ctx.queue_key(), "webhook-delivery", j.id);
    req.headers.emplace_back("webhook-id", webhook_id);
    req.headers.emplace_back("webhook-timestamp", std::to_string(timestamp));
    // A user's receiver gets a signature of its user's own key (GET
    // /api/webhooks/signing-key), which neither the API's receiver nor another user's
    // accepts (a delivery that names no user: the key of user "", no one's). Only the
    // API's receiver gets WEBHOOK_SECRET's: a receiver of alerts verifying with it could
    // replay what it got into the API (a webhook review stored a forged answer that way).
    // By the URL alone: the apiReceiver mark is a job's word, which any producer can give
    // a delivery to its own URL (a diff review got WEBHOOK_SECRET's signature that way).
    const bool to_api = !to_alert_receiver && api_receiver.receiver_of(req.url) == webhook_receiver::configured;
    const auto signing_key = [&](const app::webhook_secrets& s) {
      return user_slot ? s.user_key(user) : to_api ? s.api : s.operators;
    };
    const auto key = signing_key(keys.current);
    const auto previous = keys.previous ? signing_key(*keys.previous) : std::string();
    req.headers.emplace_back("webhook-signature",
                             app::sign_webhook_with(key, previous, webhook_id, timestamp, req.body));
    req.connect_timeout = std::chrono::seconds(5);
    req.read_timeout = std::chrono::seconds(10);
    req.total_timeout = std::chrono::seconds(10);
    req.destinations = user_slot ? &user_destinations : &destinations;
    if (user_slot) req.lookups = user_lookups;
    req.body_kept = answer_kept;

    const auto attempt = j.attempts_made + 1;
    const auto at = app::now_ms();
    auto started = std::chrono::steady_clock::now();
    auto ex = co_await net::this_coro::executor;
    std::optional<http_response> res;
    std::string network_error, refused;
    try {
      std::function<void(std::string_view)> collect_body;  // empty: collect the body
      res = co_await fetch(ex, std::move(req), collect_body);
    } catch (const transport_error& e) {
      network_error = e.what();
    } catch (const bad_destination& e) {
      refused = e.what();
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (!refused.empty()) {
      auto line = attempt_record(attempt, at, ms, 0, refused);
      co_await ctx.log(line);
      const auto* api_answer = data.if_contains("apiReceiver");
      if (user_slot || !api_answer || !api_answer->is_bool() || !api_answer->get_bool()) {
        throw unrecoverable_error("webhook not sent: " + refused);
      }
      // An answer for the API's own receiver goes where the API said: a refused address
      // is a setting to mend, and the attempts left wait for it (an operator's drill lost
      // every answer to a PUBLIC_URL that differed between the apps).
      throw std::runtime_error(fmt::format(
          "webhook not sent: {}; the API's answers go to its receiver, whose address this Workers app takes from "
          "PUBLIC_URL (else 127.0.0.1 and PORT): set them as the API's, or allow the address in WEBHOOK_ALLOWED_HOSTS",
          refused));
    }
    if (!res) {
      auto line = attempt_record(attempt, at, ms, 0, network_error);
      co_await ctx.log(line);
      throw std::runtime_error("webhook delivery failed: " + network_error);
    }
    const bool ok = res->status >= 200 && res->status < 300;
    // Cut at a byte count, perhaps inside a character, or no text at all: as UTF-8, or
    // the attempt's log line is no JSON its readers can parse (GET /api/webhooks/deliveries
    // showed no attempts for a receiver's 300 bytes of "€").
    const auto detail = app::valid_utf8(res->body);
    auto line = attempt_record(attempt, at, ms, res->status, ok ? std::string() : detail);
    co_await ctx.log(line);
    if (ok) {
      json::object out;
      out["status"] = res->status;
      out["durationMs"] = ms;
      co_return out;
    }
    // 401 and 403 too: a receiver whose secret or credentials are being rotated refuses
    // until both sides agree (security.md, "Rotating keys"), and the answer it refused
    // must not be lost meanwhile. Other 4xx say the request itself is wrong.
    if (res->status == 401 || res->status == 403 || res->status == 408 || res->status == 429 || res->status >= 500) {
      // A receiver that says when to come back (a rate limit, a deploy behind a load
      // balancer) is asked again no sooner: retrying earlier spends attempts it refuses.
      std::string asked;
      // Only where the backoff reads it: a user's URL keeps its 15 s of attempts.
      if (auto it = res->headers.find("retry-after"); !user_slot && it != res->headers.end()) {
        if (auto wait = retry_after_wait(it->second, std::chrono::system_clock::now(), webhook_longest_wait)) {
          asked = retry_after_note(*wait);
        }
      }
      throw std::runtime_error(fmt::format("webhook answered {}: {}{}", res->status, detail, asked));
    }
    throw unrecoverable_error(fmt::format("webhook answered {}: {}", res->status, detail));
  });
}

}  // namespace drover::workers
