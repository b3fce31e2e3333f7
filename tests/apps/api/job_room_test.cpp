// job_room_test.cpp - who stays in a job's Socket.IO room when its id comes to name a new
// job (Redis numbered jobs again after losing its data), on a real socketio::server.
#include "api/job_room.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "polling_harness.hpp"

namespace drover::api {
namespace {

using socketio::client_id;
using socketio::testing::polling_harness;

// Accepts {"token":"<user>"} as that user; a harness without it has no users.
socketio::options with_users() {
  auto o = socketio::testing::quiet_options();
  o.authenticate = [](const boost::json::value& auth, std::string_view) {
    return socketio::auth_result::accept(std::string(auth.at("token").as_string()));
  };
  return o;
}

// A connected client, signed in as `user` when the server has an authenticator.
client_id connect(polling_harness& h, const std::string& user) {
  const auto sid = h.open();
  h.post(sid, R"(40{"token":")" + user + R"("})");
  const auto reply = h.get(sid);
  EXPECT_EQ(reply.substr(0, 3), "40{") << reply;
  return client_id(std::string(boost::json::parse(reply.substr(2)).at("sid").as_string()));
}

std::vector<client_id> sorted_members(const socketio::server& sio, const std::string& room) {
  auto m = sio.members(room);
  std::sort(m.begin(), m.end());
  return m;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(job_room, a_new_job_keeps_only_its_owners_clients) {
  polling_harness h(with_users());
  const auto alice = connect(h, "alice");
  const auto bob = connect(h, "bob");
  const auto bob_again = connect(h, "bob");
  for (const auto& c : {alice, bob, bob_again}) ASSERT_TRUE(h.server.join(c, job_room("7")));
  ASSERT_TRUE(h.server.join(alice, job_room("8")));

  EXPECT_EQ(keep_only_the_owner(h.server, "7", "bob"), 1u);
  auto bobs = std::vector<client_id>{bob, bob_again};
  std::sort(bobs.begin(), bobs.end());
  EXPECT_EQ(sorted_members(h.server, "job:7"), bobs);
  EXPECT_EQ(h.server.members("job:8"), std::vector<client_id>{alice}) << "another job's room is untouched";
  // A job whose data names nobody is nobody's: every signed-in member leaves.
  EXPECT_EQ(keep_only_the_owner(h.server, "7", ""), 2u);
  EXPECT_TRUE(h.server.members("job:7").empty());
}

TEST(job_room, a_job_gone_before_its_owner_was_read_keeps_those_who_joined_after_its_add) {
  polling_harness h(with_users());
  const auto stale = connect(h, "alice");
  const auto fresh = connect(h, "bob");
  ASSERT_TRUE(h.server.join(stale, job_room("3")));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto added_at = wall_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(h.server.join(fresh, job_room("3")));

  EXPECT_EQ(keep_only_later_joiners(h.server, "3", added_at), 1u);
  EXPECT_EQ(h.server.members("job:3"), std::vector<client_id>{fresh});
}

TEST(job_room, without_users_nobody_leaves) {
  // AUTH_MODE=none: no authenticator, and every room is open to everyone.
  polling_harness h;
  const auto a = connect(h, "");
  ASSERT_TRUE(h.server.join(a, job_room("1")));
  EXPECT_EQ(keep_only_the_owner(h.server, "1", "bob"), 0u);
  EXPECT_EQ(keep_only_later_joiners(h.server, "1", wall_ms() + 60'000), 0u);
  EXPECT_EQ(h.server.members("job:1"), std::vector<client_id>{a});
}

}  // namespace
}  // namespace drover::api
