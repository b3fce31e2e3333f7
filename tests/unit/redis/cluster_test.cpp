// cluster_test.cpp - reading CLUSTER SLOTS replies and the redirections cluster nodes answer.
#include "redis/cluster.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace drover::redis {
namespace {

reply integer(std::int64_t v) {
  reply r;
  r.type = reply::kind::integer;
  r.integer = v;
  return r;
}
reply text(std::string s, reply::kind k = reply::kind::string) {
  reply r;
  r.type = k;
  r.str = std::move(s);
  return r;
}
reply array(std::vector<reply> elements) {
  reply r;
  r.type = reply::kind::array;
  r.elements = std::move(elements);
  return r;
}
reply node(std::string host, std::int64_t port) { return array({text(std::move(host)), integer(port), text("id")}); }

TEST(cluster_map, reads_cluster_slots) {
  auto r = array({
      array({integer(0), integer(5460), node("10.0.0.1", 7000), node("10.0.0.4", 7003)}),
      array({integer(5461), integer(10922), node("", 7001)}),  // the node asked, not knowing its address
      array({integer(10923), integer(16383), node("10.0.0.3", 7002), node("10.0.0.6", 7005)}),
  });
  auto map = parse_cluster_slots(r, redis_endpoint{"seed", 7001});
  ASSERT_EQ(map.ranges.size(), 3u);
  EXPECT_EQ(map.master_of(0), (redis_endpoint{"10.0.0.1", 7000}));
  EXPECT_EQ(map.master_of(5461), (redis_endpoint{"seed", 7001}));
  EXPECT_EQ(map.master_of(16383), (redis_endpoint{"10.0.0.3", 7002}));
  EXPECT_EQ(map.masters().size(), 3u);
  auto nodes = map.nodes();
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_EQ(nodes[3], (redis_endpoint{"10.0.0.4", 7003}));
}

TEST(cluster_map, a_slot_nobody_serves_has_no_master) {
  auto map = parse_cluster_slots(array({array({integer(0), integer(99), node("h", 1)})}), redis_endpoint{"h", 1});
  EXPECT_EQ(map.master_of(100), std::nullopt);
}

TEST(cluster_map, refuses_what_is_not_a_slot_map) {
  const redis_endpoint asked{"h", 1};
  EXPECT_THROW(parse_cluster_slots(array({}), asked), std::runtime_error);  // no slot served
  EXPECT_THROW(parse_cluster_slots(text("ERR This instance has cluster support disabled", reply::kind::error), asked),
               std::runtime_error);
  EXPECT_THROW(parse_cluster_slots(array({array({integer(5), integer(4), node("h", 1)})}), asked), std::runtime_error);
  EXPECT_THROW(parse_cluster_slots(array({array({integer(0), integer(16384), node("h", 1)})}), asked),
               std::runtime_error);
  EXPECT_THROW(parse_cluster_slots(array({array({integer(0), integer(1), node("h", 70000)})}), asked),
               std::runtime_error);
  EXPECT_THROW(parse_cluster_slots(array({array({integer(0), integer(1)})}), asked), std::runtime_error);
}

TEST(redirection, reads_moved_ask_and_retries) {
  auto moved = redirection_of(text("MOVED 3999 127.0.0.1:6381", reply::kind::error));
  EXPECT_EQ(moved.type, redirection::kind::moved);
  EXPECT_EQ(moved.target, (redis_endpoint{"127.0.0.1", 6381}));
  auto ask = redirection_of(text("ASK 3999 ::1:6381", reply::kind::error));
  EXPECT_EQ(ask.type, redirection::kind::ask);
  EXPECT_EQ(ask.target, (redis_endpoint{"::1", 6381}));
  auto unknown_host = redirection_of(text("MOVED 1 :7001", reply::kind::error));
  EXPECT_EQ(unknown_host.type, redirection::kind::moved);
  EXPECT_EQ(unknown_host.target, (redis_endpoint{"", 7001}));
  EXPECT_EQ(redirection_of(text("TRYAGAIN Multiple keys request during rehashing of slot", reply::kind::error)).type,
            redirection::kind::retry);
  EXPECT_EQ(redirection_of(text("CLUSTERDOWN The cluster is down", reply::kind::error)).type, redirection::kind::retry);
}

TEST(redirection, other_replies_are_none) {
  EXPECT_EQ(redirection_of(text("MOVED 1 127.0.0.1:6381")).type, redirection::kind::none);  // not an error
  EXPECT_EQ(redirection_of(text("ERR unknown command", reply::kind::error)).type, redirection::kind::none);
  EXPECT_EQ(redirection_of(text("MOVED 1 host:port", reply::kind::error)).type, redirection::kind::none);
  EXPECT_EQ(redirection_of(text("MOVED 1 host", reply::kind::error)).type, redirection::kind::none);
  EXPECT_EQ(redirection_of(integer(1)).type, redirection::kind::none);
}

}  // namespace
}  // namespace drover::redis
