// shard_names_test.cpp - shard names: valid BullMQ names, one tag each, spread over the
// slot space; keys to shards; recognising shards among queue names.
#include <drover/error.hpp>
#include <drover/shard_names.hpp>

#include <gtest/gtest.h>

#include <set>

#include "redis/hash_slot.hpp"

namespace drover {
namespace {

TEST(shard_names, each_shard_has_its_own_tag_in_its_part_of_the_slots) {
  for (std::size_t n : {1u, 2u, 3u, 4u, 6u, 16u}) {
    const auto names = shard_names("ai-processing", n);
    ASSERT_EQ(names.size(), n);
    std::set<std::uint16_t> slots;
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(names[i].find(':'), std::string::npos);
      EXPECT_EQ(names[i].rfind("{ai-processing." + std::to_string(i), 0), 0u) << names[i];
      const auto slot = redis::fixed_slot("bull:" + names[i] + ":");
      ASSERT_TRUE(slot) << names[i];
      EXPECT_EQ(*slot * n / redis::cluster_slots, i) << names[i] << " slot " << *slot;
      slots.insert(*slot);
    }
    EXPECT_EQ(slots.size(), n);
  }
  EXPECT_EQ(shard_name("ai-processing", 1, 3), shard_names("ai-processing", 3)[1]);  // one function
}

TEST(shard_names, refuses_names_that_cannot_be_sharded) {
  EXPECT_THROW(shard_name("", 0, 2), error);
  EXPECT_THROW(shard_name("a:b", 0, 2), error);
  EXPECT_THROW(shard_name("{tagged}", 0, 2), error);
  EXPECT_THROW(shard_name("q", 0, 0), error);
  EXPECT_THROW(shard_name("q", 2, 2), error);
  // No shard, no name to check: shard_names must refuse both itself (a sharded_queue of
  // 0 shards then divided by zero, and a sharded_worker ran on nothing).
  EXPECT_THROW(shard_names("q", 0), error);
  EXPECT_THROW(shard_names("", 0), error);
}

TEST(shard_names, a_key_always_picks_the_same_shard_and_keys_spread) {
  EXPECT_EQ(shard_for_key("customer-42", 6), shard_for_key("customer-42", 6));
  std::vector<int> hits(6);
  for (int k = 0; k < 6000; ++k) ++hits[shard_for_key("key-" + std::to_string(k), 6)];
  for (int h : hits) EXPECT_NEAR(h, 1000, 150);
  EXPECT_EQ(shard_for_key("anything", 1), 0u);
}

TEST(shard_names, groups_complete_shard_sets_and_leaves_the_rest_plain) {
  auto names = shard_names("emails", 3);
  auto chat = shard_names("chat.v2", 2);  // a dot in the logical name
  std::vector<std::string> all = {"plain", "{tagged}", "{emails.9}"};
  all.insert(all.end(), names.begin(), names.end());
  all.insert(all.end(), chat.begin(), chat.end());
  all.push_back(shard_names("partial", 2)[0]);  // its other shard is missing
  const auto g = group_shards(all);
  ASSERT_EQ(g.sharded.size(), 2u);
  EXPECT_EQ(g.sharded[0].name, "chat.v2");
  EXPECT_EQ(g.sharded[0].shards, chat);
  EXPECT_EQ(g.sharded[1].name, "emails");
  EXPECT_EQ(g.sharded[1].shards, names);
  EXPECT_EQ(g.plain, (std::vector<std::string>{"plain", "{tagged}", "{emails.9}", shard_names("partial", 2)[0]}));
}

}  // namespace
}  // namespace drover
