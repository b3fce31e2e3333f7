// webhook_delivery.cpp - the webhook-delivery processor: POST, classify the answer, log it.
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>

#include <drover/webhook_signature.hpp>

#include "workers/http_client.hpp"
#include "workers/processors.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::workers {

processor webhook_delivery_processor(std::string secret) {
  return processor::async([secret](job_context& ctx) -> net::awaitable<json::value> {
    const auto& j = ctx.job();
    if (!j.data.is_object()) throw unrecoverable_error("webhook-delivery needs an object as job data");
    const auto& data = j.data.get_object();
    auto* url = data.if_contains("url");
    if (!url || !url->is_string()) throw unrecoverable_error("webhook-delivery needs data.url");
    http_request req;
    req.url = std::string(url->get_string());
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = data.contains("payload") ? json::serialize(data.at("payload")) : std::string("{}");
    // Signed (Standard Webhooks), never the secret itself: a webhook URL may belong to
    // anyone. The delivery job's id is the webhook id, so retries carry the same one.
    const auto timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    req.headers.emplace_back("webhook-id", j.id);
    req.headers.emplace_back("webhook-timestamp", std::to_string(timestamp));
    req.headers.emplace_back("webhook-signature", sign_webhook(secret, j.id, timestamp, req.body));
    req.connect_timeout = std::chrono::seconds(5);
    req.read_timeout = std::chrono::seconds(10);

    auto started = std::chrono::steady_clock::now();
    auto ex = co_await net::this_coro::executor;
    std::optional<http_response> res;
    std::string network_error;
    try {
      std::function<void(std::string_view)> collect_body;  // empty: collect the body
      res = co_await fetch(ex, std::move(req), collect_body);
    } catch (const transport_error& e) {
      network_error = e.what();
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    const auto attempt = j.attempts_made + 1;
    if (!res) {
      std::string line = fmt::format("attempt {}: network error after {} ms: {}", attempt, ms, network_error);
      co_await ctx.log(line);
      throw std::runtime_error("webhook delivery failed: " + network_error);
    }
    std::string line = fmt::format("attempt {}: HTTP {} in {} ms", attempt, res->status, ms);
    co_await ctx.log(line);
    if (res->status >= 200 && res->status < 300) {
      json::object out;
      out["status"] = res->status;
      out["durationMs"] = ms;
      co_return out;
    }
    auto detail = res->body.substr(0, 200);
    if (res->status == 408 || res->status == 429 || res->status >= 500) {
      throw std::runtime_error(fmt::format("webhook answered {}: {}", res->status, detail));
    }
    throw unrecoverable_error(fmt::format("webhook answered {}: {}", res->status, detail));
  });
}

}  // namespace drover::workers
