// router.hpp - answers HTTP requests from a route table: match and admit from the header, then run and reply.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "api/error_reply.hpp"
#include "api/routing/route_table.hpp"
#include "httpd/http_metrics.hpp"
#include "httpd/http_types.hpp"
#include "httpd/request_plan.hpp"

namespace drover::api {

class gatekeeper;

// For each request, from its header alone (plan(), before the server reads the body):
//  1. parse the target (400 when malformed) and find its route (404, or 405 with Allow);
//  2. ask the gatekeeper whether this caller may call it (401, 403, 429 otherwise);
//  3. say how much body the route takes: an upload route its upload_limit, counted
//     against the server's upload budget for the client and the user; others the
//     server's body limit;
// then, once the body is in (the plan's respond):
//  4. run the handler; a failure that escapes it becomes its JSON answer (error_reply.hpp;
//     operator routes use the dashboard's policy, which reports job state conflicts);
//  5. count and time it under the route's pattern, never the raw path (refusals too).
// Thread safety: as the table and the gatekeeper (one executor).
class router {
 public:
  // `stats` may be null (no HTTP metrics).
  router(route_table routes, gatekeeper& gate, httpd::http_metrics* stats);

  // The plan of a request whose header is in (httpd::request_planner). The router
  // must outlive the plan's respond.
  boost::asio::awaitable<httpd::request_plan> plan(const httpd::request& header, std::string client_address);

  // plan() and respond in one, for a request whose body is already in (tests).
  boost::asio::awaitable<httpd::response> handle(const httpd::request& req, std::string_view client_address);

  const route_table& routes() const { return routes_; }

 private:
  // Steps 4 and 5.
  boost::asio::awaitable<httpd::response> respond(const route& r,
                                                  std::vector<std::pair<std::string, std::string>> params, caller who,
                                                  std::string client_address, httpd::request req,
                                                  std::chrono::steady_clock::time_point started,
                                                  error_reply_policy policy);
  // One info line per dashboard action (an operator_act route): who, what, the status.
  static void audit(const httpd::request& req, const std::string& user, const httpd::response& res);
  void observe(const httpd::request& req, const std::string& pattern, const httpd::response& res,
               std::chrono::steady_clock::time_point started, bool held_open = false);

  route_table routes_;
  gatekeeper& gate_;
  httpd::http_metrics* stats_;
};

}  // namespace drover::api
