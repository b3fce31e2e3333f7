// session_test.cpp - a session's timers and limits: heartbeat, connect deadline,
// outbox bound. Driven over polling with short intervals.
#include <gtest/gtest.h>

#include "polling_harness.hpp"

namespace drover::api::socketio::testing {
namespace {
using namespace std::chrono_literals;

options fast_heartbeat() {
  options o = quiet_options();
  o.ping_interval = 60ms;
  o.ping_timeout = 60ms;
  return o;
}

TEST(session, pings_every_interval_while_pongs_come_back) {
  polling_harness h(fast_heartbeat());
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  for (int i = 0; i < 4; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(h.get(sid, 1s), "2");
    EXPECT_GE(std::chrono::steady_clock::now() - started, 30ms);  // waited for the ping, not answered at once
    h.post(sid, "3");
  }
  EXPECT_TRUE(reasons.empty());
  EXPECT_EQ(h.server.connection_count(), 1u);
}

TEST(session, closes_when_a_pong_is_missing) {
  polling_harness h(fast_heartbeat());
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  h.server.join(id, "job:1");
  EXPECT_EQ(h.get(sid, 1s), "2");
  // No pong: the next poll is answered with a close once ping_timeout has passed.
  EXPECT_EQ(h.get(sid, 1s), "1");
  EXPECT_EQ(reasons, std::vector<std::string>{"ping timeout"});
  EXPECT_EQ(h.server.emit_to_room("job:1", "job-progress", {}), 0u);  // rooms were cleaned up
}

TEST(session, unsolicited_pongs_do_not_postpone_the_ping) {
  polling_harness h(fast_heartbeat());
  const auto [sid, id] = h.connect();
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  // Pongs every 15 ms; if each one restarted the 60 ms interval, no ping would come.
  for (int i = 0; i < 20 && !get->done; ++i) {
    h.post(sid, "3");
    h.run_for(15ms);
  }
  ASSERT_TRUE(get->done);
  EXPECT_EQ(get->res.body(), "2");
}

TEST(session, closes_when_no_namespace_is_joined_in_time) {
  options o = quiet_options();
  o.connect_timeout = 50ms;
  polling_harness h(o);
  const auto sid = h.open();
  EXPECT_EQ(h.get(sid, 1s), "1");
  EXPECT_EQ(h.get(sid), R"({"code":1,"message":"Session ID unknown"})");
}

TEST(session, drops_a_client_that_lets_too_much_pile_up) {
  options o = quiet_options();
  o.max_buffered = 1000;
  polling_harness h(o);
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(h.server.emit(id, "spam", {std::string(100, 'x')}));
  EXPECT_TRUE(reasons.empty());  // not from inside emit
  h.run_for(20ms);
  EXPECT_EQ(reasons, std::vector<std::string>{"forced close"});
  EXPECT_EQ(h.server.connection_count(), 0u);
}

}  // namespace
}  // namespace drover::api::socketio::testing
