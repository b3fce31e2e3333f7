// gatekeeper.hpp - the one place the API decides who is calling and whether they may.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/admin_access.hpp"
#include "api/routing/route_request.hpp"
#include "api/routing/route_table.hpp"
#include "httpd/http_types.hpp"
#include "httpd/login_throttle.hpp"

namespace drover::api {

namespace auth {
class jwt_verifier;
}
class rate_limiter;
enum class limited_route;
struct rate_decision;

// AUTH_MODE: jwt (the default) verifies a bearer JWT on every user route and every
// Socket.IO connection; none makes every caller the one development user, who owns
// everything, and must be asked for.
enum class auth_mode { jwt, none };
const char* to_string(auth_mode m);

// What a Socket.IO CONNECT proved: the user, or why it is refused.
struct socket_admission {
  std::optional<caller> who;
  std::string refusal;  // client-safe, sent as the CONNECT_ERROR's message
};

// Admission by route_access (route_table.hpp):
//   open, signed_hook  everyone (a signed hook's handler checks the signature);
//   user               jwt: "Authorization: Bearer <JWT>" verified (401 otherwise), the
//                      caller is its `sub`; none: the development caller. A route with a
//                      budget then spends a token of the caller's and of the client
//                      address's (rate_limiter.hpp; 429 with Retry-After when empty);
//   metrics            "Authorization: Bearer <METRICS_TOKEN>" when one is set (401; 429
//                      while the address has failed too often: a login_throttle of its
//                      own, so that a scraper with a stale token never locks the
//                      dashboard's logins out of that address, nor the reverse);
//   operator_read/act  dashboard credentials (401; 429 while the address or the user name
//                      has failed too often: login_throttle.hpp), and to act the admin
//                      role and a same-site request (403).
// 401s carry WWW-Authenticate. Refusals never say more than the client needs: which
// check failed, never a key, token or driver message.
// Thread safety: one executor.
class gatekeeper {
 public:
  // `verifier` is required in jwt mode and ignored in none; without `limiter` routes
  // spend no budget.
  gatekeeper(auth_mode mode, std::shared_ptr<const auth::jwt_verifier> verifier, admin_access dashboard,
             std::string metrics_token, std::unique_ptr<rate_limiter> limiter = nullptr,
             httpd::login_throttle_options throttle = {});
  ~gatekeeper();

  // The caller of route `r`, or throws http_error.
  boost::asio::awaitable<caller> admit(const route& r, const httpd::request& req, std::string_view client_address);

  // For the operator routes served outside the table (the dashboard's event stream).
  // Throws http_error.
  caller admit_operator(const httpd::request& req, bool act, std::string_view client_address);

  // A Socket.IO connection: the token in the CONNECT payload's `token` (what
  // `io(url, {auth: {token}})` sends), else the Authorization header of the request
  // that opened the session.
  socket_admission admit_socket(const boost::json::value& auth_payload, std::string_view authorization) const;

  // Spends a token of `user`'s and `address`'s budgets for `route` (rate_limiter::take)
  // outside the route table: a Socket.IO join that starts a conversation. Allowed at
  // once without a limiter.
  boost::asio::awaitable<rate_decision> spend(limited_route route, std::string user, std::string address);

  auth_mode mode() const { return mode_; }
  // For /readyz: one read of the rate limiter's keys (rate_limiter::probe); nothing
  // without a limiter. Throws drover::error when Redis refuses it or does not answer.
  boost::asio::awaitable<void> probe_limits();
  // Stops the rate limiter's Redis connection (at shutdown).
  void close();
  const admin_access& dashboard() const { return dashboard_; }

 private:
  caller admit_user(const httpd::request& req) const;
  caller verify_token(std::string_view authorization, std::string& refusal) const;
  void admit_metrics(const httpd::request& req, std::string_view client_address);

  auth_mode mode_;
  std::shared_ptr<const auth::jwt_verifier> verifier_;
  admin_access dashboard_;
  std::string metrics_token_;
  std::unique_ptr<rate_limiter> limiter_;
  httpd::login_throttle throttle_;          // failed dashboard logins
  httpd::login_throttle metrics_throttle_;  // failed metrics tokens
};

}  // namespace drover::api
