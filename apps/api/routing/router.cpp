// router.cpp - the request path shared by the chat API and the dashboard API.
#include "api/routing/router.hpp"

#include <boost/url/parse.hpp>

#include <chrono>
#include <optional>

#include "api/error_reply.hpp"
#include "api/http_error.hpp"
#include "api/routing/gatekeeper.hpp"

namespace net = boost::asio;

namespace drover::api {

namespace http = httpd::http;

router::router(route_table routes, gatekeeper& gate, httpd::http_metrics* stats)
    : routes_(std::move(routes)), gate_(gate), stats_(stats) {}

net::awaitable<httpd::response> router::handle(const httpd::request& req, std::string_view client_address) {
  const auto started = std::chrono::steady_clock::now();
  std::string pattern = "unmatched";
  error_reply_policy policy;
  std::optional<httpd::response> res;
  std::exception_ptr failure;
  try {
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url) throw http_error(http::status::bad_request, "Malformed request target");
    std::vector<std::string> segments;
    for (auto s : url->segments()) segments.push_back(s);
    if (segments.empty()) segments.emplace_back();  // "/" is one empty segment, as its pattern
    auto m = routes_.find(req.method(), segments);
    pattern = m.pattern;
    if (!m.found) {
      if (!m.allow.empty())
        throw http_error(http::status::method_not_allowed, "Method not allowed").with_header("Allow", m.allow);
      throw http_error(http::status::not_found, "Not found");
    }
    const route& r = *m.found;
    policy.job_state_errors = r.access == route_access::operator_read || r.access == route_access::operator_act;
    route_request rr{req, *url, {}, {}, client_address};
    std::size_t next = 0;
    for (const auto& part : r.parts) {
      if (!part.empty() && part.front() == ':') rr.params.emplace_back(part.substr(1), m.params[next++]);
    }
    rr.who = co_await gate_.admit(r, req, client_address);
    res = co_await r.handler(rr);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!res) res = error_reply(req, failure, policy);
  if (stats_) stats_->observe(req.method(), pattern, res->result_int(), std::chrono::steady_clock::now() - started);
  co_return std::move(*res);
}

}  // namespace drover::api
