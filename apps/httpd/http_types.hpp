// http_types.hpp - the request and response types of the API, and JSON replies.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace drover::httpd {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// A JSON reply with the request's HTTP version and keep-alive.
response json_response(const request& req, http::status status, const boost::json::value& body);
// {"error": message}, the shape of every error the API returns.
response error_response(const request& req, http::status status, const std::string& message);

// A wait as Retry-After gives it: whole seconds, rounded up, at least 1.
std::int64_t retry_after_seconds(std::chrono::milliseconds wait);
// 429 {"error": "Too many requests; retry in N s"} with Retry-After: N (the API's
// too_many_requests, for servers without its http_error).
response too_many_requests_response(const request& req, std::chrono::milliseconds wait);

}  // namespace drover::httpd
