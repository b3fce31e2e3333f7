// router.hpp - answers HTTP requests from a route table: match, admit, run, reply.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "api/routing/route_table.hpp"
#include "httpd/http_metrics.hpp"
#include "httpd/http_types.hpp"

namespace drover::api {

class gatekeeper;

// For each request:
//  1. parse the target (400 when malformed) and find its route (404, or 405 with Allow);
//  2. ask the gatekeeper whether this caller may call it (401, 403, 429 otherwise);
//  3. run the handler; a failure that escapes it becomes its JSON answer (error_reply.hpp;
//     operator routes use the dashboard's policy, which reports job state conflicts);
//  4. count and time it under the route's pattern, never the raw path.
// Thread safety: as the table and the gatekeeper (one executor).
class router {
 public:
  // `stats` may be null (no HTTP metrics).
  router(route_table routes, gatekeeper& gate, httpd::http_metrics* stats);

  boost::asio::awaitable<httpd::response> handle(const httpd::request& req, std::string_view client_address);

  const route_table& routes() const { return routes_; }

 private:
  route_table routes_;
  gatekeeper& gate_;
  httpd::http_metrics* stats_;
};

}  // namespace drover::api
