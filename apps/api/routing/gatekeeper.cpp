// gatekeeper.cpp - authentication and admission for every route and Socket.IO connection.
#include "api/routing/gatekeeper.hpp"

#include <fmt/format.h>

#include "api/auth/jwt_verifier.hpp"
#include "api/http_error.hpp"
#include "api/rate_limiter.hpp"
#include "api/socketio/auth_token.hpp"
#include "httpd/bearer_token.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

namespace http = httpd::http;

const char* to_string(auth_mode m) { return m == auth_mode::jwt ? "jwt" : "none"; }

namespace {

http_error unauthorized(const std::string& message, const char* challenge) {
  return http_error(http::status::unauthorized, message).with_header("WWW-Authenticate", challenge);
}

const char* user_challenge = "Bearer realm=\"drover\"";
const char* dashboard_challenge = "Bearer realm=\"drover dashboard\"";

}  // namespace

gatekeeper::gatekeeper(auth_mode mode, std::shared_ptr<const auth::jwt_verifier> verifier, admin_access dashboard,
                       std::string metrics_token, std::unique_ptr<rate_limiter> limiter,
                       httpd::login_throttle_options throttle)
    : mode_(mode),
      verifier_(std::move(verifier)),
      dashboard_(std::move(dashboard)),
      metrics_token_(std::move(metrics_token)),
      limiter_(std::move(limiter)),
      throttle_(throttle),
      metrics_throttle_(throttle) {
  if (mode_ == auth_mode::jwt && !verifier_) throw std::invalid_argument("AUTH_MODE=jwt needs a JWT key");
}

gatekeeper::~gatekeeper() = default;

void gatekeeper::close() {
  if (limiter_) limiter_->close();
}

net::awaitable<void> gatekeeper::probe_limits() {
  if (!limiter_) co_return;
  auto read = limiter_->probe();  // named: GCC 12 and temporaries in co_await
  co_await std::move(read);
}

namespace {

// Two sets of credentials are no credentials: the first of two tokens was taken, and an
// intermediary that appended its own would have chosen who the request acts as.
void want_one_authorization(const httpd::request& req) {
  if (req.count(http::field::authorization) > 1) {
    throw http_error(http::status::bad_request, "Send one Authorization header, not several");
  }
}

}  // namespace

net::awaitable<caller> gatekeeper::admit(const route& r, const httpd::request& req, std::string_view client_address) {
  if (r.access != route_access::open && r.access != route_access::signed_hook) want_one_authorization(req);
  switch (r.access) {
    case route_access::open:
    case route_access::signed_hook:
      co_return caller{};
    case route_access::user: {
      auto who = admit_user(req);
      if (limiter_ && r.budget != route_budget::none) {
        const auto route = r.budget == route_budget::send ? limited_route::send : limited_route::upload;
        std::string address(client_address);
        auto decision = co_await limiter_->take(route, who.user, address);
        if (!decision.allowed) throw refusal_of(decision);
      }
      co_return who;
    }
    case route_access::metrics:
      admit_metrics(req, client_address);
      co_return caller{};
    case route_access::operator_read:
      co_return admit_operator(req, false, client_address);
    case route_access::operator_act:
      co_return admit_operator(req, true, client_address);
  }
  throw http_error(http::status::internal_server_error, "Internal error");
}

net::awaitable<rate_decision> gatekeeper::spend(limited_route route, std::string user, std::string address) {
  if (!limiter_) co_return rate_decision{};
  auto decision = co_await limiter_->take(route, user, address);
  co_return decision;
}

caller gatekeeper::verify_token(std::string_view authorization, std::string& refusal) const {
  auto v = verifier_->verify_bearer(authorization);
  if (!v.who) {
    refusal = v.error;
    return {};
  }
  caller c;
  c.user = std::move(v.who->user);
  c.valid_until = v.who->valid_until;
  return c;
}

caller gatekeeper::admit_user(const httpd::request& req) const {
  if (mode_ == auth_mode::none) {
    // With no credential to forge, a page of any site a developer visits could write
    // here: a JSON body needs a CORS preflight (never granted), but a form or text
    // upload does not (an HTTP review uploaded documents from another origin). Writes
    // from another site's page are refused; reads it could not see anyway.
    const auto method = req.method();
    if (method != http::verb::get && method != http::verb::head && method != http::verb::options) {
      auto refusal =
          cross_origin_refusal(std::string_view(req[http::field::host]), std::string_view(req[http::field::origin]),
                               std::string_view(req["Sec-Fetch-Site"]));
      if (!refusal.empty()) throw http_error(http::status::forbidden, refusal);
    }
    caller c;
    c.development = true;
    return c;
  }
  auto header = std::string_view(req[http::field::authorization]);
  if (header.empty()) throw unauthorized("Authentication required: send Authorization: Bearer <token>", user_challenge);
  std::string refusal;
  auto c = verify_token(header, refusal);
  if (!refusal.empty())
    throw unauthorized("Invalid token: " + refusal, "Bearer realm=\"drover\", error=\"invalid_token\"");
  return c;
}

void gatekeeper::admit_metrics(const httpd::request& req, std::string_view client_address) {
  auto verdict = httpd::admit_bearer_token(std::string_view(req[http::field::authorization]), metrics_token_,
                                           client_address, metrics_throttle_);
  if (verdict.retry_after.count() > 0) throw too_many_requests(verdict.retry_after);
  if (!verdict.admitted) {
    throw unauthorized("Authentication required: Authorization: Bearer <METRICS_TOKEN>", "Bearer realm=\"metrics\"");
  }
}

caller gatekeeper::admit_operator(const httpd::request& req, bool act, std::string_view client_address) {
  want_one_authorization(req);  // also for the event stream, which no route admits
  if (!dashboard_.configured()) {
    throw http_error(http::status::unauthorized,
                     "The dashboard is not configured: set DASHBOARD_TOKEN or DASHBOARD_USERS (see docs/dashboard.md)");
  }
  const auto authorization = std::string_view(req[http::field::authorization]);
  // A blocked guesser is refused before its credentials are looked at, so it learns
  // nothing while blocked; a request without credentials is a prompt, not a failure.
  const auto claimed = claimed_login(authorization);
  if (!authorization.empty()) {
    auto wait = throttle_.blocked(client_address, claimed);
    if (wait.count() > 0) throw too_many_requests(wait);
  }
  auto who = dashboard_.authenticate(authorization);
  if (!who) {
    if (!authorization.empty()) throttle_.failed(client_address, claimed);
    throw unauthorized("Authentication required: a bearer token or basic credentials", dashboard_challenge);
  }
  caller c;
  c.user = who->name;
  c.admin = who->role == admin_role::admin;
  if (act) {
    if (!c.admin) throw http_error(http::status::forbidden, "Read-only access: the viewer role cannot act");
    action_request a;
    a.method = std::string_view(req.method_string());
    a.host = std::string_view(req[http::field::host]);
    a.origin = std::string_view(req[http::field::origin]);
    a.sec_fetch_site = std::string_view(req["Sec-Fetch-Site"]);
    a.content_type = std::string_view(req[http::field::content_type]);
    a.action_header = std::string_view(req["X-Drover-Action"]);
    auto refusal = cross_site_refusal(a);
    if (!refusal.empty()) throw http_error(http::status::forbidden, refusal);
  }
  return c;
}

socket_admission gatekeeper::admit_socket(const json::value& auth_payload, std::string_view authorization) const {
  socket_admission out;
  if (mode_ == auth_mode::none) {
    caller c;
    c.development = true;
    out.who = c;
    return out;
  }
  auto token = socketio::bearer_token(auth_payload, authorization);
  if (!token) {
    out.refusal = "Authentication required: connect with auth: {token}";
    return out;
  }
  std::string refusal;
  auto c = verify_token("Bearer " + *token, refusal);
  if (!refusal.empty()) {
    out.refusal = "Invalid token: " + refusal;
    return out;
  }
  out.who = std::move(c);
  return out;
}

}  // namespace drover::api
