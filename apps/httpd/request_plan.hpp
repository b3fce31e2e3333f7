// request_plan.hpp - what an application decides from a request's header alone, before the server reads its body.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "httpd/http_types.hpp"

namespace drover::httpd {

// The server reads a request's header, asks the application for its plan, and only
// then reads the body, as the plan says: so who is calling, and whether they may, is
// settled before a byte of the body is held, and a refused request never costs its body.
struct request_plan {
  // Set: the answer, sent without reading the body (when one was announced, the
  // connection then closes). `respond` is then not needed.
  std::optional<response> refusal;
  // The largest body taken (413 beyond); 0: the server's body_limit.
  std::size_t body_limit = 0;
  // An upload: its body is reserved from the server's max_body_bytes_in_flight, and
  // from the max_body_bytes_per_client share of its client address and of
  // `upload_owner` (the user, when there is one). Other bodies are bounded by their
  // body limit alone.
  bool upload = false;
  std::string upload_owner;
  // The client's address as the application tells clients apart (behind a trusted
  // proxy, from X-Forwarded-For), for the upload share; empty: the connection's.
  std::string client_address;
  // A request of a route that takes no body (GET, HEAD, DELETE, OPTIONS): one announced
  // is refused with 413, unread, rather than held up to the server's body_limit (a
  // chunked one at its first chunk of data; Content-Length: 0 and an empty chunked body
  // pass).
  bool no_body = false;
  // Answers the request once its body is in.
  std::function<boost::asio::awaitable<response>(request)> respond;
};

// Decides the plan of a request from its header (its body is still empty) and the
// client's address (the connection's, as text).
using request_planner = std::function<boost::asio::awaitable<request_plan>(const request& header, std::string client)>;

}  // namespace drover::httpd
