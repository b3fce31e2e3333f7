// server_auth_test.cpp - the authenticator hook: who may join "/", as which user,
// how a refusal looks on the wire, and how many clients one user may have.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "polling_harness.hpp"

namespace drover::api::socketio::testing {
namespace {
namespace json = boost::json;

// Accepts {"token":"user:<name>"} as <name>, or "Bearer user:<name>" in the header;
// refuses anything else with "invalid token".
auth_result token_auth(const json::value& auth, std::string_view authorization) {
  std::string token;
  if (auth.is_object() && auth.as_object().contains("token") && auth.at("token").is_string()) {
    token = std::string(auth.at("token").get_string());
  } else if (authorization.starts_with("Bearer ")) {
    token = std::string(authorization.substr(7));
  }
  if (token.starts_with("user:")) return auth_result::accept(token.substr(5));
  return auth_result::refuse("invalid token");
}

options with_auth() {
  options o = quiet_options();
  o.authenticate = token_auth;
  return o;
}

// Sends a CONNECT with `auth` (raw JSON, may be empty) and returns the reply packet.
std::string connect_reply(polling_harness& h, const std::string& sid, const std::string& auth) {
  h.post(sid, "40" + auth);
  return h.get(sid);
}

TEST(server_auth, accepts_a_good_token_from_the_connect_payload) {
  polling_harness h(with_auth());
  std::vector<client_id> connected;
  h.server.on_connect([&](client_id id) { connected.push_back(id); });
  const auto sid = h.open();
  const auto reply = connect_reply(h, sid, R"({"token":"user:alice"})");
  ASSERT_EQ(reply.substr(0, 3), "40{") << reply;
  const client_id id(json::parse(reply.substr(2)).at("sid").as_string());
  EXPECT_EQ(connected, std::vector<client_id>{id});
  EXPECT_EQ(h.server.user_of(id), "alice");
}

TEST(server_auth, accepts_a_good_token_from_the_opening_requests_authorization_header) {
  polling_harness h(with_auth());
  const auto sid = h.open("Bearer user:bob");
  const auto reply = connect_reply(h, sid, "");
  ASSERT_EQ(reply.substr(0, 3), "40{") << reply;
  const client_id id(json::parse(reply.substr(2)).at("sid").as_string());
  EXPECT_EQ(h.server.user_of(id), "bob");
}

TEST(server_auth, refuses_with_connect_error_as_socketio_middleware_does) {
  // socket.io's next(new Error("invalid token")) sends 44{"message":"invalid token"}.
  struct refusal_case {
    std::string auth;
    std::string authorization;
    std::string expected;
  };
  const std::vector<refusal_case> cases = {
      {R"({"token":"forged"})", "", R"(44{"message":"invalid token"})"},
      {"", "", R"(44{"message":"invalid token"})"},
      {"", "Basic dXNlcjpwdw==", R"(44{"message":"invalid token"})"},
      {R"({"token":42})", "", R"(44{"message":"invalid token"})"},
  };
  for (const auto& c : cases) {
    polling_harness h(with_auth());
    bool connected = false;
    h.server.on_connect([&](client_id) { connected = true; });
    const auto sid = h.open(c.authorization);
    EXPECT_EQ(connect_reply(h, sid, c.auth), c.expected) << c.auth << " / " << c.authorization;
    EXPECT_FALSE(connected);
    EXPECT_EQ(h.server.connection_count(), 0u);
    // The session stays open: events are ignored, and a good CONNECT is accepted.
    h.post(sid, R"(42["echo"])");
    EXPECT_EQ(connect_reply(h, sid, R"({"token":"user:carol"})").substr(0, 3), "40{");
  }
}

TEST(server_auth, a_throwing_authenticator_refuses_without_details) {
  options o = quiet_options();
  o.authenticate = [](const json::value&, std::string_view) -> auth_result {
    throw std::runtime_error("key file unreadable: /etc/secret");
  };
  polling_harness h(o);
  const auto sid = h.open();
  EXPECT_EQ(connect_reply(h, sid, R"({"token":"x"})"), R"(44{"message":"Authentication failed"})");
}

TEST(server_auth, closes_a_session_that_keeps_sending_refused_connects) {
  std::size_t calls = 0;
  options o = quiet_options();
  o.authenticate = [&calls](const json::value& auth, std::string_view authorization) {
    ++calls;
    return token_auth(auth, authorization);
  };
  polling_harness h(o);
  const auto sid = h.open();
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += (i ? "\x1e" : "") + std::string(R"(40{"token":"bad"})");
  h.post(sid, flood);
  EXPECT_EQ(calls, 4u);  // three refusals, then the fourth closes the session
  EXPECT_EQ(h.server.session_count(), 0u);
}

TEST(server_auth, without_an_authenticator_everyone_connects_with_no_user) {
  polling_harness h;
  const auto [sid, id] = h.connect();
  EXPECT_EQ(h.server.user_of(id), std::nullopt);
  EXPECT_EQ(h.server.user_of("nobody"), std::nullopt);
}

TEST(server_auth, limits_the_clients_of_one_user) {
  options o = with_auth();
  o.max_sessions_per_user = 3;
  polling_harness h(o);
  std::vector<std::string> sids;
  std::vector<client_id> ids;
  for (int i = 0; i < 3; ++i) {
    sids.push_back(h.open());
    const auto reply = connect_reply(h, sids.back(), R"({"token":"user:dave"})");
    ASSERT_EQ(reply.substr(0, 3), "40{") << reply;
    ids.emplace_back(json::parse(reply.substr(2)).at("sid").as_string());
  }
  const auto fourth = h.open();
  EXPECT_EQ(connect_reply(h, fourth, R"({"token":"user:dave"})"),
            R"(44{"message":"Too many connections for this user"})");
  // Another user is not affected.
  EXPECT_EQ(connect_reply(h, h.open(), R"({"token":"user:erin"})").substr(0, 3), "40{");
  // When one of dave's clients leaves, the fourth gets in.
  h.post(sids[0], "41");
  EXPECT_EQ(h.server.user_of(ids[0]), std::nullopt);
  EXPECT_EQ(connect_reply(h, fourth, R"({"token":"user:dave"})").substr(0, 3), "40{");
  // A closed session frees its place too.
  h.post(sids[1], "1");
  EXPECT_EQ(connect_reply(h, h.open(), R"({"token":"user:dave"})").substr(0, 3), "40{");
}

}  // namespace
}  // namespace drover::api::socketio::testing
