// http_error.hpp - a request the API refuses, with the status to answer.
#pragma once

#include <stdexcept>
#include <string>

#include "httpd/http_types.hpp"

namespace drover::api {

// Thrown by route handlers; api_server turns it into {"error": what()} with `status`.
class http_error : public std::runtime_error {
 public:
  http_error(httpd::http::status s, const std::string& message) : std::runtime_error(message), status_(s) {}
  httpd::http::status status() const { return status_; }

 private:
  httpd::http::status status_;
};

}  // namespace drover::api
