// router.cpp - the request path shared by the chat API and the dashboard API.
#include "api/routing/router.hpp"

#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include <drover_app/utf8.hpp>

#include "api/http_error.hpp"
#include "api/routing/gatekeeper.hpp"

namespace net = boost::asio;

namespace drover::api {

namespace http = httpd::http;

namespace {

// The target's path segments; "/" is one empty segment, as its pattern. Throws http_error.
std::vector<std::string> segments_of(const boost::urls::url_view& url) {
  std::vector<std::string> segments;
  for (auto s : url.segments()) segments.push_back(s);
  if (segments.empty()) segments.emplace_back();
  return segments;
}

boost::urls::url_view parsed_target(const httpd::request& req) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) throw http_error(http::status::bad_request, "Malformed request target");
  return *url;
}

}  // namespace

router::router(route_table routes, gatekeeper& gate, httpd::http_metrics* stats)
    : routes_(std::move(routes)), gate_(gate), stats_(stats) {}

void router::observe(const httpd::request& req, const std::string& pattern, const httpd::response& res,
                     std::chrono::steady_clock::time_point started, bool held_open) {
  if (stats_) {
    stats_->observe(req.method(), pattern, res.result_int(), std::chrono::steady_clock::now() - started, held_open);
  }
}

void router::audit(const httpd::request& req, const std::string& user, const httpd::response& res) {
  // Who changed a queue, and whether it took: with several admins (and one shared token)
  // the log is the only record of a drain or a clean.
  spdlog::info("dashboard: {} {} by {}: {}", req.method_string(), req.target(), user, res.result_int());
}

net::awaitable<httpd::request_plan> router::plan(const httpd::request& header, std::string client_address) {
  const auto started = std::chrono::steady_clock::now();
  std::string pattern = "unmatched";
  error_reply_policy policy;
  std::exception_ptr failure;
  try {
    const auto m = routes_.find(header.method(), segments_of(parsed_target(header)));
    pattern = m.pattern;
    if (!m.found) {
      if (!m.allow.empty())
        throw http_error(http::status::method_not_allowed, "Method not allowed").with_header("Allow", m.allow);
      throw http_error(http::status::not_found, "Not found");
    }
    const route& r = *m.found;
    policy.job_state_errors = r.access == route_access::operator_read || r.access == route_access::operator_act;
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t next = 0;
    for (const auto& part : r.parts) {
      if (!part.empty() && part.front() == ':') params.emplace_back(part.substr(1), m.params[next++]);
    }
    // Decoded from %XX: any bytes, which a database storing text refuses.
    for (const auto& [name, value] : params) {
      // NUL too: PostgreSQL stores no text holding it.
      if (!app::is_utf8(value) || value.find('\0') != std::string::npos) {
        throw http_error(http::status::bad_request, "The request path is not valid UTF-8 or holds a NUL (%00)");
      }
    }
    auto who = co_await gate_.admit(r, header, client_address);
    httpd::request_plan p;
    p.body_limit = r.upload_limit;  // 0, the server's body limit, for every other route
    p.upload = r.upload_limit != 0;
    p.upload_owner = who.user;
    p.client_address = client_address;
    const auto method = header.method();
    p.no_body = method == http::verb::get || method == http::verb::head || method == http::verb::delete_ ||
                method == http::verb::options;
    p.respond = [this, &r, params = std::move(params), who, client_address, started,
                 policy](httpd::request req) mutable {
      return respond(r, std::move(params), std::move(who), std::move(client_address), std::move(req), started, policy);
    };
    co_return p;
  } catch (...) {
    failure = std::current_exception();
  }
  httpd::request_plan refused;
  refused.refusal = error_reply(header, failure, policy);
  observe(header, pattern, *refused.refusal, started);
  co_return refused;
}

net::awaitable<httpd::response> router::respond(const route& r, std::vector<std::pair<std::string, std::string>> params,
                                                caller who, std::string client_address, httpd::request req,
                                                std::chrono::steady_clock::time_point started,
                                                error_reply_policy policy) {
  std::optional<httpd::response> res;
  std::exception_ptr failure;
  const std::string acting_operator = r.access == route_access::operator_act ? who.user : std::string();
  try {
    route_request rr{req, parsed_target(req), std::move(params), std::move(who), std::move(client_address)};
    res = co_await r.handler(rr);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!res) res = error_reply(req, failure, policy);
  observe(req, r.pattern, *res, started, r.held_open);
  if (r.access == route_access::operator_act) audit(req, acting_operator, *res);
  co_return std::move(*res);
}

net::awaitable<httpd::response> router::handle(const httpd::request& req, std::string_view client_address) {
  auto planning = plan(req, std::string(client_address));
  auto p = co_await std::move(planning);
  if (p.refusal) co_return std::move(*p.refusal);
  auto answering = p.respond(req);
  co_return co_await std::move(answering);
}

}  // namespace drover::api
