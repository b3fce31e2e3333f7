// route_table.hpp - the one table of HTTP routes: method, path pattern, who may call it, handler.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/routing/route_request.hpp"
#include "httpd/http_types.hpp"

namespace drover::api {

// Who may call a route. The table's dispatcher asks the gatekeeper before the handler
// runs, so no handler checks credentials itself; handlers check ownership of what they
// touch (that needs the data).
enum class route_access {
  open,           // anyone: health, the pages and their assets, Socket.IO (it checks its CONNECT)
  signed_hook,    // anyone; the handler verifies the webhook signature over the body
  user,           // a chat user: a bearer JWT (or the development user in AUTH_MODE=none)
  metrics,        // METRICS_TOKEN when one is set
  operator_read,  // dashboard credentials, any role
  operator_act,   // dashboard credentials with the admin role, from the same site
};
const char* to_string(route_access a);

// Which request-rate budget a route spends (gatekeeper.hpp), besides its access check.
enum class route_budget { none, send, upload };

struct route {
  httpd::http::verb method;
  std::string pattern;  // "/api/chat/job/:jobId": ":name" parts match one segment
  route_access access = route_access::open;
  std::function<boost::asio::awaitable<httpd::response>(route_request&)> handler;
  route_budget budget = route_budget::none;
  // Non-zero for a route that takes uploads: its body limit, and its body is counted
  // against the server's upload budget (MAX_UPLOAD_BYTES_IN_FLIGHT, and the client's
  // and the user's share of it). 0: the body limit (BODY_LIMIT) and no budget.
  std::size_t upload_limit = 0;
  // A long poll (Socket.IO's polling GET waits up to its ping interval for something to
  // send): not logged as a slow request.
  bool held_open = false;
  // The pattern split at '/', for matching ("" for "/").
  std::vector<std::string> parts;
};

// Routes in the order they were added; the first whose method and pattern match wins.
// A path some route matches with another method gets 405 and an Allow header listing
// the methods that would be accepted (GET also allows HEAD).
// Thread safety: immutable once the server starts; find() may be called from any thread.
class route_table {
 public:
  // Throws std::invalid_argument for a pattern that does not start with '/'.
  route& add(httpd::http::verb method, std::string pattern, route_access access,
             std::function<boost::asio::awaitable<httpd::response>(route_request&)> handler);

  struct match {
    const route* found = nullptr;     // nullptr: nothing for this method
    std::vector<std::string> params;  // the values of found's ":name" parts, in order
    std::string allow;                // when found is null but the path matched: "GET, DELETE"
    std::string pattern;              // the matched pattern, or "unmatched"
  };
  match find(httpd::http::verb method, const std::vector<std::string>& segments) const;

  const std::vector<route>& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
};

}  // namespace drover::api
