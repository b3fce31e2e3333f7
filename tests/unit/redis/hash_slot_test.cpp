// hash_slot_test.cpp - the key to slot mapping against values Redis's CLUSTER KEYSLOT gives.
#include "redis/hash_slot.hpp"

#include <gtest/gtest.h>

namespace drover::redis {
namespace {

TEST(hash_slot, matches_cluster_keyslot) {
  // CRC16/XMODEM's check value: "123456789" -> 0x31C3.
  EXPECT_EQ(hash_slot("123456789"), 0x31C3);
  EXPECT_EQ(hash_slot("foo"), 12182);
  EXPECT_EQ(hash_slot("bar"), 5061);
  EXPECT_EQ(hash_slot(""), 0);
}

TEST(hash_slot, hashes_only_the_first_non_empty_tag) {
  EXPECT_EQ(hash_slot("{foo}:anything"), hash_slot("foo"));
  EXPECT_EQ(hash_slot("bull:{foo}:wait"), hash_slot("foo"));
  EXPECT_EQ(hash_slot("{foo}{bar}"), hash_slot("foo"));
  // An empty tag, or one that never closes, leaves the whole key hashed.
  EXPECT_EQ(hash_slot("{}foo"), 9500);
  EXPECT_NE(hash_slot("{foo"), hash_slot("foo"));
  // The first '}' after the first '{' closes the tag, even a '{' between.
  EXPECT_EQ(hash_slot("{a{b}c}"), hash_slot("a{b"));
}

TEST(hash_slot, a_queue_base_fixes_the_slot_only_with_a_closed_tag) {
  EXPECT_EQ(fixed_slot("bull:{q}:"), hash_slot("q"));
  EXPECT_EQ(fixed_slot("{bull}:q:"), hash_slot("bull"));
  EXPECT_EQ(fixed_slot("bull:q:"), std::nullopt);
  EXPECT_EQ(fixed_slot("bull:{q:"), std::nullopt);   // closes in the suffix, if at all
  EXPECT_EQ(fixed_slot("bull:{}q:"), std::nullopt);  // empty: the whole key is hashed
  EXPECT_EQ(fixed_slot("bull:q}{x}:"), hash_slot("x"));
}

}  // namespace
}  // namespace drover::redis
