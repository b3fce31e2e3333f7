// queue_shards_test.cpp - AI_QUEUE_SHARDS, DOCUMENT_QUEUE_SHARDS and WEBHOOK_QUEUE_SHARDS:
// read, refused with the variable named, and checked against the prefix on a cluster.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <string>
#include <vector>

#include <drover/error.hpp>
#include <drover/redis_options.hpp>
#include <drover/shard_names.hpp>
#include <drover_app/queue_shards.hpp>

#include "support/scoped_env.hpp"

namespace drover::app {
namespace {

// The three settings, each set to its value or unset where it is nullptr.
test::scoped_env shards_env(const char* ai, const char* documents, const char* webhooks) {
  return test::scoped_env{
      {"AI_QUEUE_SHARDS", ai}, {"DOCUMENT_QUEUE_SHARDS", documents}, {"WEBHOOK_QUEUE_SHARDS", webhooks}};
}

std::string refusal(const queue_shards& s, const std::string& prefix, const redis_options& redis) {
  try {
    s.check_prefix(prefix, redis);
  } catch (const error& e) {
    return e.what();
  }
  return {};
}

redis_options cluster() { return redis_options::from_url("redis+cluster://127.0.0.1:7000"); }

TEST(queue_shards, unset_or_empty_is_plain) {
  auto env = shards_env(nullptr, "", nullptr);
  auto s = queue_shards::from_env();
  EXPECT_EQ(s.ai, 0u);
  EXPECT_EQ(s.documents, 0u);
  EXPECT_EQ(s.webhooks, 0u);
}

TEST(queue_shards, each_queue_reads_its_own_variable) {
  auto env = shards_env("3", "0", "16");
  auto s = queue_shards::from_env();
  EXPECT_EQ(s.of("ai-processing"), 3u);
  EXPECT_EQ(s.of("document-processing"), 0u);
  EXPECT_EQ(s.of("webhook-delivery"), 16u);
  EXPECT_EQ(s.of("something-else"), 0u);
}

TEST(queue_shards, a_bad_number_is_refused_naming_the_variable) {
  for (const char* bad : {"-1", "two", "3x", "1.5", "1025", "99999999999999999999999"}) {
    auto env = shards_env(nullptr, bad, nullptr);
    try {
      queue_shards::from_env();
      ADD_FAILURE() << bad << " was taken";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find("DOCUMENT_QUEUE_SHARDS"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(queue_shards, a_single_redis_takes_any_prefix) {
  const auto single = redis_options::from_url("redis://127.0.0.1:6379");
  EXPECT_EQ(refusal(queue_shards{}, "bull", single), "");
  EXPECT_EQ(refusal(queue_shards{2, 0, 3}, "{bull}", single), "");
}

TEST(queue_shards, on_a_cluster_plain_queues_want_a_tagged_prefix) {
  EXPECT_EQ(refusal(queue_shards{}, "{bull}", cluster()), "");
  auto why = refusal(queue_shards{}, "bull", cluster());
  EXPECT_NE(why.find("hash tag"), std::string::npos) << why;
  EXPECT_NE(why.find("QUEUE_PREFIX={bull}"), std::string::npos) << why;
  EXPECT_NE(why.find("AI_QUEUE_SHARDS"), std::string::npos) << why;
  // Some sharded, some not: the plain ones are named.
  why = refusal(queue_shards{3, 0, 3}, "bull", cluster());
  EXPECT_NE(why.find("document-processing (DOCUMENT_QUEUE_SHARDS=0)"), std::string::npos) << why;
  EXPECT_EQ(why.find("ai-processing (AI"), std::string::npos) << why;
}

TEST(queue_shards, on_a_cluster_sharded_queues_want_an_untagged_prefix) {
  EXPECT_EQ(refusal(queue_shards{3, 3, 3}, "bull", cluster()), "");
  EXPECT_EQ(refusal(queue_shards{1, 2, 5}, "drover:prod", cluster()), "");
  auto why = refusal(queue_shards{3, 3, 3}, "{bull}", cluster());
  EXPECT_NE(why.find("ai-processing (AI_QUEUE_SHARDS=3)"), std::string::npos) << why;
  EXPECT_NE(why.find("QUEUE_PREFIX=bull"), std::string::npos) << why;
}

TEST(queue_shards, a_sharded_queue_stands_for_its_shards_in_order) {
  const queue_shards s{3, 0, 0};
  const auto queues = s.queues_of("ai-processing");
  ASSERT_EQ(queues.size(), 3u);
  const auto names = shard_names("ai-processing", 3);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(queues[i].logical, "ai-processing");
    EXPECT_EQ(queues[i].shards, 3u);
    EXPECT_EQ(queues[i].index, i);
    EXPECT_EQ(queues[i].queue_name(), names[i]);
  }
}

TEST(queue_shards, a_plain_or_unknown_queue_stands_for_itself) {
  const queue_shards s{3, 0, 0};
  for (const char* name : {"document-processing", "webhook-delivery", "emails", "{ai-processing}"}) {
    const auto queues = s.queues_of(name);
    ASSERT_EQ(queues.size(), 1u) << name;
    EXPECT_EQ(queues[0].logical, name);
    EXPECT_EQ(queues[0].shards, 0u);
    EXPECT_EQ(queues[0].queue_name(), name);
  }
}

TEST(queue_shards, a_shards_name_is_located_as_that_shard_only_when_exact) {
  const queue_shards s{4, 0, 2};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto name = shard_name("ai-processing", i, 4);
    const auto found = s.locate(name);
    EXPECT_EQ(found.logical, "ai-processing") << name;
    EXPECT_EQ(found.shards, 4u) << name;
    EXPECT_EQ(found.index, i) << name;
    // A rule or a series naming one shard is about that shard alone.
    const auto queues = s.queues_of(name);
    ASSERT_EQ(queues.size(), 1u);
    EXPECT_EQ(queues[0].queue_name(), name);
  }
  EXPECT_EQ(s.locate(shard_name("webhook-delivery", 1, 2)).logical, "webhook-delivery");
  // Names of shards that are not this app's: an index past the count, another count's
  // name, an extension shard_name did not pick, a queue that is not sharded here.
  const auto other_count = shard_name("ai-processing", 1, 3);
  for (const auto& name : std::vector<std::string>{"{ai-processing.4}", shard_name("ai-processing", 0, 4) + "x",
                                                   "{ai-processing.1.99}", shard_name("document-processing", 0, 2)}) {
    const auto found = s.locate(name);
    EXPECT_EQ(found.shards, 0u) << name;
    EXPECT_EQ(found.logical, name);
  }
  if (other_count != shard_name("ai-processing", 1, 4)) {
    EXPECT_EQ(s.locate(other_count).shards, 0u) << other_count;
  }
}

TEST(queue_shards, a_hash_tag_needs_something_between_the_braces) {
  EXPECT_TRUE(has_hash_tag("{bull}"));
  EXPECT_TRUE(has_hash_tag("x:{a}:y"));
  EXPECT_FALSE(has_hash_tag("bull"));
  EXPECT_FALSE(has_hash_tag("{}bull"));
  EXPECT_FALSE(has_hash_tag("{bull"));
  EXPECT_FALSE(has_hash_tag("bull}"));
}

}  // namespace
}  // namespace drover::app
