// http_error.hpp - a request the API refuses, with the status to answer.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "httpd/http_types.hpp"

namespace drover::api {

// Thrown by route handlers and the gatekeeper; error_reply turns it into
// {"error": what()} with `status` and the extra headers (WWW-Authenticate, Retry-After).
class http_error : public std::runtime_error {
 public:
  http_error(httpd::http::status s, const std::string& message) : std::runtime_error(message), status_(s) {}
  httpd::http::status status() const { return status_; }

  http_error& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  httpd::http::status status_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace drover::api
