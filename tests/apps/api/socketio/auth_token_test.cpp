// auth_token_test.cpp - where bearer_token finds a Socket.IO client's token.
#include "api/socketio/auth_token.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace drover::api::socketio {
namespace {

TEST(auth_token, prefers_the_connect_payload_then_the_bearer_header) {
  struct token_case {
    const char* auth;  // JSON
    const char* authorization;
    std::optional<std::string> expected;
  };
  const token_case cases[] = {
      {R"({"token":"abc"})", "", "abc"},
      {R"({"token":"abc"})", "Bearer xyz", "abc"},
      {"null", "Bearer xyz", "xyz"},
      {"{}", "bearer   xyz  ", "xyz"},
      {R"({"other":1})", "BEARER xyz", "xyz"},
      {"null", "Basic dXNlcjpwdw==", std::nullopt},
      {"null", "Bearer", std::nullopt},
      {"null", "Bearer   ", std::nullopt},
      {"null", "Bearerxyz", std::nullopt},
      {"null", "", std::nullopt},
      {R"({"token":42})", "Bearer xyz", std::nullopt},  // a bad payload token is not replaced by the header's
      {R"({"token":""})", "Bearer xyz", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(bearer_token(boost::json::parse(c.auth), c.authorization), c.expected)
        << c.auth << " / " << c.authorization;
  }
}

}  // namespace
}  // namespace drover::api::socketio
