// rate_limiter.cpp - the token-bucket script called through redis_client::eval.
#include "api/rate_limiter.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover_app/address_key.hpp>
#include <drover_app/redis_refusal.hpp>

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

// generated from lua/token_bucket.lua by cmake/embed_text.cmake
extern const std::string_view token_bucket_lua;

namespace {

const redis_script& token_bucket() {
  static const redis_script script("token-bucket", std::string(token_bucket_lua));
  return script;
}

// A limiter that waits on Redis slows every limited request; it answers within this or
// lets the request through.
redis_options quick(redis_options o) {
  o.connect_timeout = std::chrono::milliseconds(250);
  o.command_timeout = std::chrono::milliseconds(250);
  return o;
}

// Lua turns numbers into integers on the way out; the script returns {allowed, wait ms}.
rate_decision decision_from(const json::value& v) {
  const auto* a = v.if_array();
  if (!a || a->size() != 2 || !(*a)[0].is_int64() || !(*a)[1].is_int64()) {
    throw error(errc::protocol_error, "token-bucket: unexpected reply " + drover::serialize_json(v));
  }
  return rate_decision{(*a)[0].as_int64() == 1, std::chrono::milliseconds((*a)[1].as_int64()), {}};
}

}  // namespace

const char* to_string(limited_route r) {
  switch (r) {
    case limited_route::send:
      return "send";
    case limited_route::upload:
      return "upload";
    case limited_route::conversation:
      return "conversation";
  }
  return "unknown";
}

rate_limiter::rate_limiter(net::any_io_executor ex, redis_options redis, rate_limits limits, std::string scope)
    : limits_(limits), scope_(std::move(scope)), redis_(ex, quick(std::move(redis)), "drover-api-ratelimit") {}

rate_limiter::~rate_limiter() { close(); }

const rate_limit& rate_limiter::limit_for(limited_route route, bool per_user) const {
  static const rate_limit unlimited{};
  switch (route) {
    case limited_route::send:
      return per_user ? limits_.send_per_user : limits_.send_per_address;
    case limited_route::upload:
      return per_user ? limits_.upload_per_user : limits_.upload_per_address;
    case limited_route::conversation:
      return per_user ? limits_.conversation_per_user : unlimited;
  }
  return unlimited;
}

net::awaitable<rate_decision> rate_limiter::take(limited_route route, std::string_view user, std::string_view address) {
  std::vector<bucket> buckets;
  if (!user.empty()) {
    buckets.push_back(
        {fmt::format("drover:ratelimit:{}:{}:user:{}", scope_, to_string(route), user), limit_for(route, true)});
  }
  if (!address.empty()) {
    buckets.push_back(
        {fmt::format("drover:ratelimit:{}:{}:address:{}", scope_, to_string(route), app::address_key(address)),
         limit_for(route, false)});
  }
  auto decision = co_await take(std::move(buckets));
  co_return decision;
}

net::awaitable<rate_decision> rate_limiter::take(std::vector<bucket> buckets) {
  std::vector<std::string> keys;
  std::vector<std::string> args{"1"};  // the cost
  for (auto& b : buckets) {
    if (!b.limit.enabled()) continue;
    keys.push_back(b.key);
    args.push_back(std::to_string(b.limit.burst));
    args.push_back(fmt::format("{:.17g}", b.limit.per_second));
  }
  if (keys.empty()) co_return rate_decision{};
  try {
    auto reply = co_await redis_.eval(token_bucket(), std::move(keys), std::move(args));
    co_return decision_from(reply);
  } catch (const std::exception& failure) {
    ++failures_;
    const auto now = std::chrono::steady_clock::now();
    const bool say = now - last_warning_ >= std::chrono::seconds(10);
    if (say) last_warning_ = now;
    // Redis answered and refused the script (see the header): refused until the operator
    // acts. An outage that Redis answers (a cluster down or resharding) is no refusal of
    // the limiter: it is counted in this process, as for no answer.
    const auto* e = dynamic_cast<const error*>(&failure);
    const std::string_view text = failure.what();
    const bool outage =
        text.find("CLUSTERDOWN") != std::string_view::npos || text.find("TRYAGAIN") != std::string_view::npos;
    if (e && !outage && (e->is(errc::redis_error) || e->is(errc::script_error))) {
      if (say) {
        spdlog::error(
            "rate limiter: Redis refused the limiter's script, so limited requests are refused (503) until it is "
            "mended ({} so far): {}. Its keys are drover:ratelimit:{}:*; an ACL user needs ~drover:* "
            "(docs/deployment.md)",
            failures_, failure.what(), scope_);
      }
      rate_decision refused;
      refused.allowed = false;
      const auto why = app::redis_refusal(*e);
      refused.unchecked = fmt::format("Rate limits cannot be checked: {}", why ? *why : "Redis refused the limiter");
      co_return refused;
    }
    // Counted here meanwhile (see the header); said, but not once per request.
    if (say) {
      spdlog::warn(
          "rate limiter: Redis cannot count requests now, so this process limits them by itself meanwhile ({} so "
          "far): {}",
          failures_, failure.what());
    }
  }
  rate_decision local;
  if (auto wait = local_.take(buckets, local_token_buckets::clock::now())) {
    local.allowed = false;
    local.retry_after = *wait;
  }
  co_return local;
}

void rate_limiter::close() { redis_.close(); }

net::awaitable<void> rate_limiter::probe() {
  auto read = redis_.get(fmt::format("drover:ratelimit:{}:readiness", scope_));  // named: GCC 12
  co_await std::move(read);
}

http_error refusal_of(const rate_decision& d) {
  if (!d.unchecked.empty()) return http_error(httpd::http::status::service_unavailable, d.unchecked);
  return too_many_requests(d.retry_after);
}

http_error too_many_requests(std::chrono::milliseconds retry_after) {
  const auto seconds = httpd::retry_after_seconds(retry_after);
  return http_error(httpd::http::status::too_many_requests, fmt::format("Too many requests; retry in {} s", seconds))
      .with_header("Retry-After", std::to_string(seconds));
}

}  // namespace drover::api
