// server_limits_test.cpp - what one client cannot make the server hold: rooms, room
// names, sessions, and the queue of a client that does not read.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "polling_harness.hpp"

namespace drover::api::socketio::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

TEST(server_limits, join_refuses_beyond_the_rooms_cap_and_long_names) {
  options o = quiet_options();
  o.max_rooms_per_client = 3;
  o.max_room_name = 10;
  polling_harness h(o);
  const auto [sid, id] = h.connect();
  EXPECT_TRUE(h.server.join(id, "a"));
  EXPECT_TRUE(h.server.join(id, "b"));
  EXPECT_TRUE(h.server.join(id, std::string(10, 'c')));
  EXPECT_TRUE(h.server.join(id, "a"));  // already in it: not a fourth room
  EXPECT_FALSE(h.server.join(id, "d"));
  EXPECT_EQ(h.server.emit_to_room("d", "x", {}), 0u);
  h.server.leave(id, "b");
  EXPECT_FALSE(h.server.join(id, std::string(11, 'e')));
  EXPECT_TRUE(h.server.join(id, "d"));
  EXPECT_EQ(h.server.emit_to_room("d", "x", {}), 1u);
}

TEST(server_limits, ten_thousand_joins_in_one_polling_post_cost_little) {
  polling_harness h;  // default caps: 100 rooms, 256-byte names
  std::size_t accepted = 0;
  std::size_t refused = 0;
  h.server.on("join", [&](client_id id, json::array args, std::optional<ack_fn>) {
    (h.server.join(id, "conversation:" + std::string(args.at(0).as_string())) ? accepted : refused)++;
  });
  const auto [sid, id] = h.connect();
  std::string body;
  for (int i = 0; i < 10'000; ++i) {
    if (i) body += '\x1e';
    body += R"(42["join",")" + std::to_string(i) + R"("])";
  }
  ASSERT_LT(body.size(), options{}.max_payload);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(h.post(sid, body).result(), http::status::ok);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(accepted, options{}.max_rooms_per_client);
  EXPECT_EQ(refused, 10'000 - options{}.max_rooms_per_client);
  EXPECT_EQ(h.server.emit_to_room("conversation:99", "x", {}), 1u);
  EXPECT_EQ(h.server.emit_to_room("conversation:100", "x", {}), 0u);
  EXPECT_EQ(h.server.connection_count(), 1u);  // the client itself is still served
}

TEST(server_limits, refuses_handshakes_beyond_max_sessions) {
  options o = quiet_options();
  o.max_sessions = 3;
  polling_harness h(o);
  std::vector<std::string> sids;
  for (int i = 0; i < 3; ++i) sids.push_back(h.open());
  auto refused = h.send(make_request(http::verb::get, "/socket.io/?EIO=4&transport=polling&t=x"));
  EXPECT_EQ(refused.result(), http::status::service_unavailable);
  EXPECT_EQ(refused.body(), R"({"code":4,"message":"Server full"})");
  EXPECT_EQ(refused[http::field::retry_after], "5");
  EXPECT_EQ(h.server.session_count(), 3u);
  // Open sessions are still served, and a closed one makes room.
  h.post(sids[0], "1");
  EXPECT_NO_THROW(h.open());
}

TEST(server_limits, one_address_gets_max_sessions_per_address_and_others_still_connect) {
  options o = quiet_options();
  o.max_sessions_per_address = 3;
  polling_harness h(o);
  const auto handshake = [] { return make_request(http::verb::get, "/socket.io/?EIO=4&transport=polling&t=x"); };
  std::vector<std::string> sids;
  for (int i = 0; i < 3; ++i) sids.push_back(h.open());  // from the harness's 127.0.0.1
  auto refused = h.send(handshake());
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(refused.body(), R"({"code":4,"message":"Too many sessions from your address"})");
  EXPECT_EQ(refused[http::field::retry_after], "5");
  EXPECT_EQ(h.server.session_count(), 3u);
  // Another address is served, up to its own cap.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.send(handshake(), "127.0.0.2").result(), http::status::ok) << i;
  EXPECT_EQ(h.send(handshake(), "127.0.0.2").result(), http::status::too_many_requests);
  // The first address's sessions are still served, and a closed one makes room.
  h.post(sids[0], "1");
  EXPECT_EQ(h.send(handshake()).result(), http::status::ok);
  EXPECT_EQ(h.send(handshake()).result(), http::status::too_many_requests);
}

TEST(server_limits, sessions_that_never_join_free_their_address_within_the_connect_timeout) {
  // By default a session that sends no CONNECT goes long before the ping timeout: bare
  // handshakes are not cheap to hold.
  EXPECT_LE(options{}.connect_timeout, std::chrono::seconds(10));
  EXPECT_LT(options{}.connect_timeout, options{}.ping_timeout);

  options o = quiet_options();
  o.max_sessions_per_address = 2;
  o.connect_timeout = 50ms;
  polling_harness h(o);
  const auto [joined_sid, joined] = h.connect();
  h.open();                                    // never joins
  EXPECT_THROW(h.open(), std::runtime_error);  // 429: the address is full
  h.run_for(100ms);
  EXPECT_EQ(h.server.session_count(), 1u);  // the joined one stays
  EXPECT_EQ(h.server.connection_count(), 1u);
  EXPECT_NO_THROW(h.open());
}

// A session that leaves the namespace counts against its user no longer, so it gets the
// connect timeout again: leaving and staying would hold it outside every cap but the
// address's for as long as it pings.
TEST(server_limits, a_session_that_leaves_the_namespace_must_join_again_within_the_connect_timeout) {
  options o = quiet_options();
  o.connect_timeout = 50ms;
  polling_harness h(o);
  const auto [left_sid, left] = h.connect();
  const auto [stays_sid, stays] = h.connect();
  h.post(left_sid, "41");  // DISCONNECT from "/"
  h.run_for(100ms);
  EXPECT_EQ(h.server.session_count(), 1u);  // the one that left is closed
  EXPECT_EQ(h.server.connection_count(), 1u);
}

// ...while one that never joined keeps the deadline of its handshake.
TEST(server_limits, a_disconnect_from_a_session_that_never_joined_does_not_postpone_its_deadline) {
  options o = quiet_options();
  o.connect_timeout = 100ms;
  polling_harness h(o);
  const auto sid = h.open();
  h.run_for(60ms);
  h.post(sid, "41");
  h.run_for(60ms);  // 120 ms after the handshake
  EXPECT_EQ(h.server.session_count(), 0u);
}

TEST(server_limits, can_join_says_what_join_would_without_joining) {
  options o = quiet_options();
  o.max_rooms_per_client = 3;
  o.max_room_name = 10;
  polling_harness h(o);
  const auto [sid, id] = h.connect();
  EXPECT_TRUE(h.server.can_join(id, "a"));
  EXPECT_FALSE(h.server.can_join(id, std::string(11, 'x')));
  EXPECT_FALSE(h.server.can_join("nobody", "a"));
  EXPECT_TRUE(h.server.join(id, "a"));
  EXPECT_TRUE(h.server.can_join(id, "b", 1));          // a and b, plus one pending: 3
  EXPECT_FALSE(h.server.can_join(id, "b", 2));         // two pending would fill it first
  EXPECT_TRUE(h.server.can_join(id, "a", 2));          // already in it
  EXPECT_EQ(h.server.emit_to_room("b", "x", {}), 0u);  // nothing joined
}

TEST(server_limits, a_slow_reader_on_a_busy_room_is_dropped_and_the_others_keep_receiving) {
  options o = quiet_options();
  o.max_buffered = 10'000;
  polling_harness h(o);
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [fast_sid, fast] = h.connect();
  const auto [slow_sid, slow] = h.connect();
  h.server.join(fast, "busy");
  h.server.join(slow, "busy");
  const std::string chunk(500, 'x');
  std::size_t received = 0;
  for (int i = 0; i < 100; ++i) {
    h.server.emit_to_room("busy", "tick", {chunk});
    const auto got = h.get(fast_sid);  // the fast client polls after every emit
    received += got.starts_with("42[\"tick\"");
    h.run_for(1ms);
  }
  EXPECT_EQ(received, 100u);
  EXPECT_EQ(reasons, std::vector<std::string>{"forced close"});
  EXPECT_EQ(h.server.connection_count(), 1u);
  EXPECT_EQ(h.server.user_of(slow), std::nullopt);
  // The slow client's queue was freed: its sid is gone, no megabytes wait for it.
  EXPECT_EQ(h.get(slow_sid), R"({"code":1,"message":"Session ID unknown"})");
}

TEST(server_limits, a_pending_poll_of_an_overflowing_client_gets_a_close_not_the_backlog) {
  options o = quiet_options();
  o.max_buffered = 1000;
  polling_harness h(o);
  const auto [sid, id] = h.connect();
  // Emits queue up synchronously, before the pending GET can take them.
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  for (int i = 0; i < 50; ++i) h.server.emit(id, "spam", {std::string(100, 'x')});
  ASSERT_TRUE(h.wait(get));
  EXPECT_EQ(get->res.body(), "1");
}

}  // namespace
}  // namespace drover::api::socketio::testing
