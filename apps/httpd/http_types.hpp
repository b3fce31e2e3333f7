// http_types.hpp - the request and response types of the API, and JSON replies.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace drover::httpd {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// A JSON reply with the request's HTTP version and keep-alive.
response json_response(const request& req, http::status status, const boost::json::value& body);
// {"error": message}, the shape of every error the API returns.
response error_response(const request& req, http::status status, const std::string& message);

}  // namespace drover::httpd
