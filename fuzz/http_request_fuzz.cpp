// http_request_fuzz.cpp - libFuzzer harness of the API's request path, up to the handler:
// Beast's parser with the server's limits (apps/httpd/http_server.cpp), then what every
// request meets before a route runs: the target parsed and matched against the route
// table (apps/api/routing/), the Engine.IO query (apps/api/socketio/request_query.cpp),
// the metrics bearer token (apps/httpd/bearer_token.cpp) and the JSON body reader.
//
// Input: one byte choosing the size of the reads the request arrives in, then the bytes
// of the connection. The routes are the API's patterns with handlers that do nothing.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_error.hpp"
#include "api/routing/request_body.hpp"
#include "api/routing/route_request.hpp"
#include "api/routing/route_table.hpp"
#include "api/socketio/request_query.hpp"
#include "httpd/bearer_token.hpp"

namespace http = boost::beast::http;
using drover::api::route_access;

namespace {

constexpr std::size_t header_limit = 16 * 1024;  // as http_server's session
constexpr std::size_t json_limit = 64 * 1024;    // API_BODY_LIMIT and the upload limit, scaled down
constexpr std::size_t upload_limit = 256 * 1024;

boost::asio::awaitable<drover::httpd::response> nothing(drover::api::route_request&) {
  co_return drover::httpd::response{};
}

const drover::api::route_table& routes() {
  static const drover::api::route_table table = [] {
    drover::api::route_table t;
    auto add = [&t](http::verb v, const char* pattern, route_access a) { t.add(v, pattern, a, nothing); };
    add(http::verb::get, "/", route_access::open);
    add(http::verb::get, "/health", route_access::open);
    add(http::verb::get, "/metrics", route_access::metrics);
    add(http::verb::post, "/api/chat/send", route_access::user);
    add(http::verb::get, "/api/chat/job/:jobId", route_access::user);
    add(http::verb::delete_, "/api/chat/job/:jobId", route_access::user);
    add(http::verb::get, "/api/conversations/:conversationId/messages", route_access::user);
    add(http::verb::post, "/api/documents", route_access::user);
    add(http::verb::get, "/api/documents/:documentId", route_access::user);
    add(http::verb::get, "/api/users/:userId/assessment", route_access::user);
    add(http::verb::post, "/api/webhooks/job-completed", route_access::signed_hook);
    add(http::verb::get, "/api/webhooks/deliveries/:deliveryId", route_access::user);
    add(http::verb::get, "/api/admin/queues", route_access::operator_read);
    add(http::verb::get, "/api/admin/queues/:queue/jobs/:jobId", route_access::operator_read);
    add(http::verb::post, "/api/admin/queues/:queue/jobs/:jobId/:action", route_access::operator_act);
    add(http::verb::post, "/api/admin/queues/:queue/:action", route_access::operator_act);
    return t;
  }();
  return table;
}

// Beast's parser fed as a socket would feed it: what has arrived so far, `step` bytes more
// per read. Returns the request, or nothing when the server would answer 400/413/431.
std::optional<drover::httpd::request> parse(std::string_view bytes, std::size_t step) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(boost::none);
  parser.eager(false);
  std::size_t used = 0;     // bytes the parser consumed
  std::size_t arrived = 0;  // bytes read from the "socket" so far
  bool limited = false;
  bool need_more = true;
  for (;;) {
    if (parser.is_header_done() && !limited) {
      // http_server decides the body limit once the header is in (the route's upload_limit
      // in the plan the router makes from the header).
      const auto target = parser.get().target();
      const auto path = target.substr(0, target.find('?'));
      const bool upload = parser.get().method() == http::verb::post && path == "/api/documents";
      const std::size_t limit = upload ? upload_limit : json_limit;
      if (auto length = parser.content_length(); length && *length > limit) return std::nullopt;
      parser.body_limit(limit);
      parser.eager(true);
      limited = true;
    }
    if (parser.is_done()) break;
    // As Beast's read: after need_more, put() sees the unconsumed bytes again only with
    // more behind them (it asserts as much in the chunk parser).
    if (need_more) {
      if (arrived == bytes.size()) return std::nullopt;  // the peer stopped sending
      arrived = std::min(bytes.size(), arrived + step);
    }
    boost::beast::error_code ec;
    const auto n = parser.put(boost::asio::buffer(bytes.data() + used, arrived - used), ec);
    used += n;
    need_more = ec == http::error::need_more || n == 0;
    if (ec && ec != http::error::need_more) return std::nullopt;
  }
  return parser.release();
}

void route(const drover::httpd::request& req) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return;
  std::vector<std::string> segments;
  for (auto s : url->segments()) segments.push_back(s);
  if (segments.empty()) segments.emplace_back();
  const auto m = routes().find(req.method(), segments);
  if (!m.found) return;
  drover::api::route_request rr{req, *url, {}, {}};
  std::size_t next = 0;
  for (const auto& part : m.found->parts) {
    if (!part.empty() && part.front() == ':') {
      if (next >= m.params.size()) std::abort();  // find() promises one value per ":name"
      rr.params.emplace_back(part.substr(1), m.params[next++]);
    }
  }
  if (next != m.params.size()) std::abort();
  for (const auto& [name, value] : rr.params) {
    if (value.empty() || rr.param(name) != value) std::abort();
  }
  (void)rr.query("limit");
  (void)rr.query("state");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 128;
  auto req = parse(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), step);
  if (!req) return 0;

  route(*req);
  if (drover::api::socketio::is_engineio_target(req->target())) {
    (void)drover::api::socketio::parse_request_query(req->target());
  }
  (void)boost::beast::websocket::is_upgrade(*req);
  (void)drover::httpd::bearer_token_matches((*req)[http::field::authorization], "metrics-token");
  for (auto presence : {drover::api::body_presence::required, drover::api::body_presence::optional}) {
    try {
      (void)drover::api::json_object_body(*req, presence);
    } catch (const drover::api::http_error&) {
    }
  }
  return 0;
}
