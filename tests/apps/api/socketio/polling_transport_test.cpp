// polling_transport_test.cpp - Engine.IO long-polling through server::handle_polling,
// with requests built in memory (see polling_harness.hpp).
#include <gtest/gtest.h>

#include "polling_harness.hpp"

namespace drover::api::socketio::testing {
namespace {
namespace json = boost::json;

TEST(polling_transport, handshake_opens_a_session) {
  polling_harness h;
  const auto res = h.send(make_request(http::verb::get, "/socket.io/?EIO=4&transport=polling&t=N1"));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; charset=UTF-8");
  ASSERT_FALSE(res.body().empty());
  EXPECT_EQ(res.body()[0], '0');
  const auto open = json::parse(res.body().substr(1)).as_object();
  EXPECT_EQ(open.at("sid").as_string().size(), 20u);
  EXPECT_EQ(open.at("upgrades").as_array(), json::array{"websocket"});
  EXPECT_EQ(open.at("pingInterval").to_number<std::int64_t>(), 30000);
  EXPECT_EQ(open.at("pingTimeout").to_number<std::int64_t>(), 30000);
  EXPECT_EQ(open.at("maxPayload").to_number<std::int64_t>(), 1000000);
}

TEST(polling_transport, refuses_bad_requests_with_engineio_errors) {
  polling_harness h;
  struct bad_case {
    http::verb method;
    std::string target;
    http::status status;
    std::string body;
  };
  const std::vector<bad_case> cases = {
      {http::verb::get, "/socket.io/?EIO=4&transport=flash", http::status::bad_request,
       R"({"code":0,"message":"Transport unknown"})"},
      {http::verb::get, "/socket.io/?EIO=4", http::status::bad_request, R"({"code":0,"message":"Transport unknown"})"},
      {http::verb::get, "/socket.io/?EIO=4&transport=polling&sid=unknown", http::status::bad_request,
       R"({"code":1,"message":"Session ID unknown"})"},
      {http::verb::post, "/socket.io/?EIO=4&transport=polling&sid=unknown", http::status::bad_request,
       R"({"code":1,"message":"Session ID unknown"})"},
      {http::verb::post, "/socket.io/?EIO=4&transport=polling", http::status::bad_request,
       R"({"code":2,"message":"Bad handshake method"})"},
      {http::verb::get, "/socket.io/?EIO=4&transport=websocket", http::status::bad_request,
       R"({"code":3,"message":"Bad request"})"},
      {http::verb::get, "/socket.io/?EIO=%zz", http::status::bad_request, R"({"code":3,"message":"Bad request"})"},
      {http::verb::get, "/socket.io/?EIO=3&transport=polling", http::status::bad_request,
       R"({"code":5,"message":"Unsupported protocol version"})"},
      {http::verb::get, "/socket.io/?transport=polling", http::status::bad_request,
       R"({"code":5,"message":"Unsupported protocol version"})"},
  };
  for (const auto& c : cases) {
    const auto res = h.send(make_request(c.method, c.target));
    EXPECT_EQ(res.result(), c.status) << c.target;
    EXPECT_EQ(res.body(), c.body) << c.target;
    EXPECT_EQ(res[http::field::content_type], "application/json") << c.target;
  }
}

TEST(polling_transport, refuses_methods_other_than_get_and_post_on_a_session) {
  polling_harness h;
  const auto sid = h.open();
  const auto res = h.send(make_request(http::verb::put, polling_target(sid), "40"));
  EXPECT_EQ(res.body(), R"({"code":3,"message":"Bad request"})");
}

TEST(polling_transport, connects_and_answers_an_event_with_its_ack) {
  polling_harness h;
  std::vector<client_id> connected;
  h.server.on_connect([&](client_id id) { connected.push_back(id); });
  h.server.on("echo", [](client_id, json::array args, std::optional<ack_fn> ack) {
    if (ack) (*ack)(std::move(args));
  });
  const auto sid = h.open();
  const auto posted = h.post(sid, "40");
  EXPECT_EQ(posted.result(), http::status::ok);
  EXPECT_EQ(posted.body(), "ok");

  const auto reply = h.get(sid);
  ASSERT_EQ(connected.size(), 1u);
  EXPECT_EQ(reply, R"(40{"sid":")" + connected[0] + R"("})");
  EXPECT_NE(connected[0], sid);  // the Engine.IO sid stays private

  h.post(sid, R"(421["echo","a",{"b":1}])");
  EXPECT_EQ(h.get(sid), R"(431["a",{"b":1}])");
}

TEST(polling_transport, carries_several_packets_each_way) {
  polling_harness h;
  h.server.on("twice", [&](client_id id, json::array, std::optional<ack_fn>) {
    h.server.emit(id, "one", {});
    h.server.emit(id, "two", {2});
  });
  const auto sid = h.open();
  h.post(sid,
         "40\x1e"
         R"(42["twice"])");
  const auto body = h.get(sid);
  const auto first = body.find('\x1e');
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(body.substr(first + 1), R"(42["one"])"
                                    "\x1e"
                                    R"(42["two",2])");
}

TEST(polling_transport, a_pending_get_answers_when_something_is_sent) {
  polling_harness h;
  const auto [sid, id] = h.connect();
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  h.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(get->done);
  h.server.emit(id, "job-progress", {json::object{{"jobId", "7"}, {"progress", 42}}});
  ASSERT_TRUE(h.wait(get));
  EXPECT_EQ(get->res.body(), R"(42["job-progress",{"jobId":"7","progress":42}])");
}

TEST(polling_transport, an_overlapping_get_closes_the_session) {
  polling_harness h;
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  auto first = h.start(make_request(http::verb::get, polling_target(sid)));
  const auto second = h.send(make_request(http::verb::get, polling_target(sid)));
  EXPECT_EQ(second.result(), http::status::bad_request);
  ASSERT_TRUE(h.wait(first));
  EXPECT_EQ(first->res.body(), "1");
  EXPECT_EQ(reasons, std::vector<std::string>{"transport error"});
  EXPECT_EQ(h.server.connection_count(), 0u);
  EXPECT_EQ(h.post(sid, "3").body(), R"({"code":1,"message":"Session ID unknown"})");
}

TEST(polling_transport, refuses_a_body_over_max_payload_but_keeps_the_session) {
  options o = quiet_options();
  o.max_payload = 100;
  polling_harness h(o);
  const auto [sid, id] = h.connect();
  const auto res = h.post(sid, R"(42["x",")" + std::string(100, 'a') + R"("])");
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_EQ(h.server.connection_count(), 1u);
  EXPECT_EQ(h.post(sid, R"(42["x"])").body(), "ok");
}

TEST(polling_transport, a_malformed_packet_closes_the_session) {
  struct malformed_case {
    std::string body;
    std::string reason;
  };
  const std::vector<malformed_case> cases = {
      {"9", "parse error"},     {"4\x1e", "parse error"}, {"bAQID", "parse error"},
      {"42{", "parse error"},   {"42[]", "parse error"},  {R"(451-["a",{"_placeholder":true,"num":0}])", "parse error"},
      {"2", "transport error"},  // v4 clients never ping
      {"5", "transport error"},  // upgrade only on a probing WebSocket
  };
  for (const auto& c : cases) {
    polling_harness h;
    std::vector<std::string> reasons;
    h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
    const auto [sid, id] = h.connect();
    h.post(sid, c.body);
    EXPECT_EQ(reasons, std::vector<std::string>{c.reason}) << c.body;
    EXPECT_EQ(h.get(sid), R"({"code":1,"message":"Session ID unknown"})") << c.body;
  }
}

TEST(polling_transport, a_close_packet_ends_the_session) {
  polling_harness h;
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  h.post(sid, "1");
  ASSERT_TRUE(h.wait(get));
  EXPECT_EQ(get->res.body(), "1");
  EXPECT_EQ(reasons, std::vector<std::string>{"transport close"});
}

TEST(polling_transport, refuses_other_namespaces_with_connect_error) {
  polling_harness h;
  const auto sid = h.open();
  h.post(sid, "40/admin,");
  EXPECT_EQ(h.get(sid), R"(44/admin,{"message":"Invalid namespace"})");
  EXPECT_EQ(h.server.connection_count(), 0u);
}

TEST(polling_transport, checks_the_origin_and_adds_cors_headers) {
  options o = quiet_options();
  o.cors_origins = {"http://app.example"};
  polling_harness h(o);

  auto preflight = make_request(http::verb::options, "/socket.io/?EIO=4&transport=polling");
  preflight.set(http::field::origin, "http://app.example");
  EXPECT_EQ(h.send(preflight).result(), http::status::no_content);

  auto listed = make_request(http::verb::get, "/socket.io/?EIO=4&transport=polling");
  listed.set(http::field::origin, "http://app.example");
  const auto ok = h.send(listed);
  EXPECT_EQ(ok.result(), http::status::ok);
  EXPECT_EQ(ok[http::field::access_control_allow_origin], "http://app.example");

  auto other = make_request(http::verb::get, "/socket.io/?EIO=4&transport=polling");
  other.set(http::field::origin, "http://evil.example");
  const auto refused = h.send(other);
  EXPECT_EQ(refused.result(), http::status::forbidden);
  EXPECT_EQ(refused.body(), R"({"code":4,"message":"Forbidden"})");
}

TEST(polling_transport, close_all_answers_pending_gets_with_close) {
  polling_harness h;
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  const auto other = h.open();  // no namespace yet: closes without on_disconnect
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  h.server.close_all();
  ASSERT_TRUE(h.wait(get));
  EXPECT_EQ(get->res.body(), "1");
  EXPECT_EQ(reasons, std::vector<std::string>{"server shutting down"});
  EXPECT_EQ(h.server.connection_count(), 0u);
  EXPECT_EQ(h.get(other), R"({"code":1,"message":"Session ID unknown"})");
}

}  // namespace
}  // namespace drover::api::socketio::testing
