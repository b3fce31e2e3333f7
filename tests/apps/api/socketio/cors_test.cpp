// cors_test.cpp - Origin checks and CORS headers.
#include "api/socketio/cors.hpp"

#include <gtest/gtest.h>

namespace drover::api::socketio {
namespace {
namespace http = boost::beast::http;

struct origin_case {
  std::vector<std::string> allowed;
  std::string origin;
  std::string host;
  bool allows;
  std::string allow_origin_header;  // empty: no CORS headers
};

TEST(cors_policy, allows_same_origin_listed_origins_and_non_browsers) {
  const std::vector<origin_case> cases = {
      {{}, "", "localhost:3000", true, ""},  // Node client, curl
      {{}, "http://localhost:3000", "localhost:3000", true, ""},
      {{}, "https://LocalHost:3000", "localhost:3000", true, ""},
      {{}, "http://localhost:3001", "localhost:3000", false, ""},
      {{}, "http://evil.example", "localhost:3000", false, ""},
      {{}, "null", "localhost:3000", false, ""},
      {{"http://app.example"}, "http://app.example", "api.example", true, "http://app.example"},
      {{"http://app.example"}, "http://app.example.evil", "api.example", false, ""},
      {{"*"}, "http://anything.example", "api.example", true, "http://anything.example"},
      {{"*"}, "", "api.example", true, ""},
  };
  for (const auto& c : cases) {
    const cors_policy policy(c.allowed);
    EXPECT_EQ(policy.allows(c.origin, c.host), c.allows) << c.origin << " at " << c.host;
    http::response<http::string_body> res;
    policy.add_headers(res, c.origin, c.host);
    EXPECT_EQ(std::string(res[http::field::access_control_allow_origin]), c.allow_origin_header) << c.origin;
  }
}

TEST(cors_policy, answers_a_preflight_from_a_listed_origin) {
  const cors_policy policy({"http://app.example"});
  http::request<http::string_body> req{http::verb::options, "/socket.io/?EIO=4&transport=polling", 11};
  req.set(http::field::host, "api.example");
  req.set(http::field::origin, "http://app.example");
  req.set(http::field::access_control_request_headers, "content-type");
  const auto res = policy.preflight(req);
  EXPECT_EQ(res.result(), http::status::no_content);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "http://app.example");
  EXPECT_EQ(res[http::field::access_control_allow_methods], "GET,POST");
  EXPECT_EQ(res[http::field::access_control_allow_headers], "content-type");
  EXPECT_EQ(res[http::field::access_control_allow_credentials], "true");
}

TEST(cors_policy, refuses_a_preflight_from_another_origin) {
  const cors_policy policy({});
  http::request<http::string_body> req{http::verb::options, "/socket.io/", 11};
  req.set(http::field::host, "api.example");
  req.set(http::field::origin, "http://evil.example");
  const auto res = policy.preflight(req);
  EXPECT_EQ(res.result(), http::status::forbidden);
  EXPECT_EQ(res.body(), R"({"code":4,"message":"Forbidden"})");
}

}  // namespace
}  // namespace drover::api::socketio
