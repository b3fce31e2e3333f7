// server_test.cpp - the application side: hooks, rooms, emits, disconnects.
#include "api/socketio/server.hpp"

#include <gtest/gtest.h>

#include "polling_harness.hpp"

namespace drover::api::socketio::testing {
namespace {
namespace json = boost::json;

TEST(server, handles_only_targets_under_socket_io) {
  EXPECT_TRUE(server::handles("/socket.io/?EIO=4&transport=polling"));
  EXPECT_FALSE(server::handles("/api/jobs"));
  EXPECT_FALSE(server::handles("/socket.io"));
}

TEST(server, emits_to_the_members_of_a_room_only) {
  polling_harness h;
  h.server.on("subscribe-job", [&](client_id id, json::array args, std::optional<ack_fn>) {
    h.server.join(id, "job:" + std::string(args.at(0).as_string()));
  });
  const auto [a_sid, a] = h.connect();
  const auto [b_sid, b] = h.connect();
  h.post(a_sid, R"(42["subscribe-job","1"])");
  h.post(b_sid, R"(42["subscribe-job","2"])");

  EXPECT_EQ(h.server.emit_to_room("job:1", "job-progress", {json::object{{"jobId", "1"}, {"progress", 42}}}), 1u);
  EXPECT_EQ(h.get(a_sid), R"(42["job-progress",{"jobId":"1","progress":42}])");
  EXPECT_EQ(h.server.emit_to_room("job:3", "job-progress", {}), 0u);

  h.server.leave(a, "job:1");
  EXPECT_EQ(h.server.emit_to_room("job:1", "job-progress", {}), 0u);
  EXPECT_EQ(h.server.emit_to_room("job:2", "job-completed", {}), 1u);
  EXPECT_EQ(h.get(b_sid), R"(42["job-completed"])");
}

TEST(server, ignores_joins_and_emits_for_unknown_clients) {
  polling_harness h;
  h.server.join("nobody", "job:1");
  EXPECT_EQ(h.server.emit_to_room("job:1", "x", {}), 0u);
  EXPECT_FALSE(h.server.emit("nobody", "x", {}));
  EXPECT_FALSE(h.server.disconnect("nobody"));
  EXPECT_FALSE(h.server.drop("nobody"));
}

TEST(server, a_client_disconnect_runs_the_hook_and_cleans_rooms) {
  polling_harness h;
  std::vector<std::pair<client_id, std::string>> seen;
  h.server.on_disconnect([&](client_id id, std::string reason) {
    // Already out of its rooms when the hook runs.
    EXPECT_EQ(h.server.emit_to_room("job:1", "x", {}), 0u);
    seen.emplace_back(id, reason);
  });
  const auto [sid, id] = h.connect();
  h.server.join(id, "job:1");
  h.post(sid, "41");
  EXPECT_EQ(seen, (std::vector<std::pair<client_id, std::string>>{{id, "client namespace disconnect"}}));
  EXPECT_EQ(h.server.connection_count(), 0u);
  // The Engine.IO session outlives the namespace, and may connect again.
  h.post(sid, "40");
  EXPECT_EQ(h.get(sid).substr(0, 3), "40{");
  EXPECT_EQ(h.server.connection_count(), 1u);
}

TEST(server, disconnect_tells_the_client) {
  polling_harness h;
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  EXPECT_TRUE(h.server.disconnect(id));
  EXPECT_EQ(h.get(sid), "41");
  EXPECT_EQ(reasons, std::vector<std::string>{"server namespace disconnect"});
  EXPECT_FALSE(h.server.emit(id, "x", {}));
}

TEST(server, drop_closes_the_connection_without_a_disconnect_packet) {
  polling_harness h;
  std::vector<std::string> reasons;
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  const auto [sid, id] = h.connect();
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  EXPECT_TRUE(h.server.drop(id));
  ASSERT_TRUE(h.wait(get));
  EXPECT_EQ(get->res.body(), "1");
  EXPECT_EQ(reasons, std::vector<std::string>{"forced close"});
}

TEST(server, an_ack_is_sent_once_and_not_after_the_client_left) {
  polling_harness h;
  std::vector<ack_fn> acks;
  h.server.on("later", [&](client_id, json::array, std::optional<ack_fn> ack) {
    if (ack) acks.push_back(*ack);
  });
  const auto [sid, id] = h.connect();
  h.post(sid, R"(425["later"])"
              "\x1e"
              R"(426["later"])");
  ASSERT_EQ(acks.size(), 2u);
  acks[0]({"done"});
  acks[0]({"again"});
  EXPECT_EQ(h.get(sid), R"(435["done"])");
  h.post(sid, "41");
  acks[1]({"too late"});
  auto get = h.start(make_request(http::verb::get, polling_target(sid)));
  h.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(get->done);
}

TEST(server, an_event_without_ack_id_gets_no_ack_fn) {
  polling_harness h;
  std::optional<bool> had_ack;
  json::array received;
  h.server.on("plain", [&](client_id, json::array args, std::optional<ack_fn> ack) {
    had_ack = ack.has_value();
    received = std::move(args);
  });
  const auto [sid, id] = h.connect();
  h.post(sid, R"(42["plain",1,"two",{"three":3}])");
  EXPECT_EQ(had_ack, false);
  EXPECT_EQ(received, (json::array{1, "two", json::object{{"three", 3}}}));
}

TEST(server, a_throwing_handler_does_not_break_the_session) {
  polling_harness h;
  h.server.on("boom", [](client_id, json::array, std::optional<ack_fn>) { throw std::runtime_error("boom"); });
  const auto [sid, id] = h.connect();
  EXPECT_EQ(h.post(sid, R"(42["boom"])").body(), "ok");
  EXPECT_EQ(h.server.connection_count(), 1u);
}

TEST(server, events_before_connect_and_unknown_events_are_ignored) {
  polling_harness h;
  int calls = 0;
  h.server.on("x", [&](client_id, json::array, std::optional<ack_fn>) { ++calls; });
  const auto sid = h.open();
  h.post(sid, R"(42["x"])");
  EXPECT_EQ(calls, 0);
  h.post(sid,
         "40"
         "\x1e"
         R"(42["unknown"])"
         "\x1e"
         R"(42["x"])");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace drover::api::socketio::testing
