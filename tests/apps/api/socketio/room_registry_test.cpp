// room_registry_test.cpp - room membership both ways round.
#include "api/socketio/room_registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace drover::api::socketio {
namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(room_registry, tracks_members_and_rooms) {
  room_registry r;
  r.join("a", "job:1");
  r.join("b", "job:1");
  r.join("a", "job:2");
  r.join("a", "job:2");  // joining twice is harmless
  EXPECT_EQ(sorted(r.members("job:1")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sorted(r.rooms_of("a")), (std::vector<std::string>{"job:1", "job:2"}));
  EXPECT_EQ(r.room_count(), 2u);
  EXPECT_TRUE(r.members("job:3").empty());
}

TEST(room_registry, knows_when_each_member_last_joined) {
  room_registry r;
  r.join("a", "job:1", 100);
  r.join("b", "job:1", 200);
  EXPECT_EQ(r.joined_at("a", "job:1"), 100);
  EXPECT_EQ(r.joined_at("b", "job:1"), 200);
  r.join("a", "job:1", 300);  // a second join moves it on
  EXPECT_EQ(r.joined_at("a", "job:1"), 300);
  EXPECT_EQ(sorted(r.members("job:1")), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(r.joined_at("a", "job:2").has_value());
  r.leave("a", "job:1");
  EXPECT_FALSE(r.joined_at("a", "job:1").has_value());
}

TEST(room_registry, deletes_a_room_when_its_last_member_leaves) {
  room_registry r;
  r.join("a", "job:1");
  r.join("b", "job:1");
  r.leave("a", "job:1");
  EXPECT_EQ(r.members("job:1"), (std::vector<std::string>{"b"}));
  r.leave("b", "job:1");
  EXPECT_EQ(r.room_count(), 0u);
  EXPECT_TRUE(r.rooms_of("b").empty());
  r.leave("b", "job:1");  // leaving again is harmless
  r.leave("nobody", "nowhere");
}

TEST(room_registry, leave_all_removes_a_client_everywhere) {
  room_registry r;
  r.join("a", "job:1");
  r.join("a", "job:2");
  r.join("b", "job:2");
  r.leave_all("a");
  EXPECT_TRUE(r.rooms_of("a").empty());
  EXPECT_TRUE(r.members("job:1").empty());
  EXPECT_EQ(r.members("job:2"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(r.room_count(), 1u);
  r.leave_all("unknown");
}

}  // namespace
}  // namespace drover::api::socketio
