// app_job_id_test.cpp - the apps' job ids: "<shard>-<id>" made and read back strictly, a
// shard's index read from its queue's name, and a queue_shard's own ids.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include <drover/shard_names.hpp>
#include <drover_app/app_job_id.hpp>

namespace drover::app {
namespace {

TEST(app_job_id, a_sharded_id_names_the_shard_first) {
  EXPECT_EQ(sharded_job_id(0, "17"), "0-17");
  EXPECT_EQ(sharded_job_id(12, "doc-ab-cd"), "12-doc-ab-cd");
}

TEST(app_job_id, parsing_reads_back_what_was_made) {
  for (std::size_t shard : {0u, 1u, 9u, 10u, 511u}) {
    for (std::string id : {"1", "doc-0123abcd", "a-b-c", "0", "-"}) {
      auto ref = parse_sharded_job_id(sharded_job_id(shard, id), 512);
      ASSERT_TRUE(ref) << shard << " " << id;
      EXPECT_EQ(*ref, (sharded_job_ref{shard, id}));
    }
  }
}

TEST(app_job_id, malformed_ids_are_refused) {
  struct row {
    const char* text;
    std::size_t shards;
  };
  const row cases[] = {
      {"", 3},                           // nothing
      {"17", 3},                         // a plain id: no shard
      {"-17", 3},                        // no shard before the dash
      {"1-", 3},                         // no id after it
      {"3-17", 3},                       // no such shard
      {"01-17", 3},                      // a leading zero: one shard, one spelling
      {"+1-17", 3},                      // a sign
      {" 1-17", 3},                      // a space
      {"1x-17", 3},                      // not a number
      {"99999999999999999999999-1", 3},  // beyond size_t
      {"0-1", 0},                        // no shards at all
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_sharded_job_id(c.text, c.shards)) << '"' << c.text << '"';
}

TEST(app_job_id, the_shard_index_comes_from_the_shard_names) {
  for (std::size_t shards : {1u, 2u, 3u, 7u, 16u}) {
    for (std::size_t i = 0; i < shards; ++i) {
      EXPECT_EQ(shard_index_of(shard_name("ai-processing", i, shards), "ai-processing"), i) << shards << " " << i;
    }
  }
  EXPECT_EQ(shard_index_of("{ai-processing.2.5}", "ai-processing"), 2u);
  EXPECT_FALSE(shard_index_of("ai-processing", "ai-processing"));
  EXPECT_FALSE(shard_index_of("{ai-processing}", "ai-processing"));
  EXPECT_FALSE(shard_index_of("{ai-processing.}", "ai-processing"));
  EXPECT_FALSE(shard_index_of("{ai-processing.1.}", "ai-processing"));
  EXPECT_FALSE(shard_index_of("{ai-processing.x}", "ai-processing"));
  EXPECT_FALSE(shard_index_of("{webhook-delivery.1}", "ai-processing"));
  EXPECT_FALSE(shard_index_of("{ai-processing.1}-dlq", "ai-processing"));
}

TEST(app_job_id, a_processor_hands_out_the_id_of_its_queue) {
  EXPECT_EQ(app_job_id_in("bull:ai-processing", "ai-processing", "42"), "42");
  EXPECT_EQ(app_job_id_in("{bull}:ai-processing", "ai-processing", "42"), "42");
  EXPECT_EQ(app_job_id_in("bull:{ai-processing.2}", "ai-processing", "42"), "2-42");
  EXPECT_EQ(app_job_id_in("my:prefix:{ai-processing.1.3}", "ai-processing", "7"), "1-7");
}

TEST(app_job_id, a_queue_shard_owns_only_its_ids) {
  queue_shard plain{"ai-processing", 0, 0};
  EXPECT_EQ(plain.queue_name(), "ai-processing");
  EXPECT_EQ(plain.app_id("5"), "5");
  EXPECT_EQ(plain.own_id("5"), "5");
  EXPECT_EQ(plain.own_id("1-5"), "1-5");  // on a plain queue, any id is the job's own

  queue_shard second{"ai-processing", 3, 1};
  EXPECT_EQ(second.queue_name(), shard_name("ai-processing", 1, 3));
  EXPECT_EQ(second.app_id("5"), "1-5");
  EXPECT_EQ(second.own_id("1-5"), "5");
  EXPECT_FALSE(second.own_id("0-5"));
  EXPECT_FALSE(second.own_id("5"));
  EXPECT_FALSE(second.own_id("3-5"));
}

}  // namespace
}  // namespace drover::app
