// engineio_error_test.cpp - the reference server's error codes, messages and statuses.
#include "api/socketio/engineio_error.hpp"

#include <gtest/gtest.h>

namespace drover::api::socketio {
namespace {
namespace http = boost::beast::http;

TEST(engineio_error, matches_the_reference_servers_responses) {
  struct error_case {
    engineio_error error;
    http::status status;
    std::string body;
  };
  const std::vector<error_case> cases = {
      {engineio_error::unknown_transport, http::status::bad_request, R"({"code":0,"message":"Transport unknown"})"},
      {engineio_error::unknown_sid, http::status::bad_request, R"({"code":1,"message":"Session ID unknown"})"},
      {engineio_error::bad_handshake_method, http::status::bad_request,
       R"({"code":2,"message":"Bad handshake method"})"},
      {engineio_error::bad_request, http::status::bad_request, R"({"code":3,"message":"Bad request"})"},
      {engineio_error::forbidden, http::status::forbidden, R"({"code":4,"message":"Forbidden"})"},
      {engineio_error::unsupported_protocol_version, http::status::bad_request,
       R"({"code":5,"message":"Unsupported protocol version"})"},
  };
  for (const auto& c : cases) {
    const auto res = error_response(c.error, 11, true);
    EXPECT_EQ(res.result(), c.status);
    EXPECT_EQ(res.body(), c.body);
    EXPECT_EQ(res[http::field::content_type], "application/json");
    EXPECT_TRUE(res.keep_alive());
  }
}

}  // namespace
}  // namespace drover::api::socketio
