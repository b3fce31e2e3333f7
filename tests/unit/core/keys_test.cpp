// keys_test.cpp - the Redis key names of a queue (BullMQ 6.7.0's layout) and the
// connection names Node's getWorkers() recognises.
#include <gtest/gtest.h>

#include <string>

#include "core/keys.hpp"

namespace drover::detail {
namespace {

struct key_case {
  std::string got;
  const char* expected;
};

TEST(queue_keys, names_every_queue_key) {
  const queue_keys k("bull", "q");
  const key_case cases[] = {
      {k.prefix(), "bull"},
      {k.queue(), "q"},
      {k.base(), "bull:q:"},
      {k.qualified(), "bull:q"},
      {k.wait, "bull:q:wait"},
      {k.paused, "bull:q:paused"},
      {k.meta, "bull:q:meta"},
      {k.id, "bull:q:id"},
      {k.completed, "bull:q:completed"},
      {k.failed, "bull:q:failed"},
      {k.delayed, "bull:q:delayed"},
      {k.active, "bull:q:active"},
      {k.events, "bull:q:events"},
      {k.marker, "bull:q:marker"},
      {k.prioritized, "bull:q:prioritized"},
      {k.pc, "bull:q:pc"},
      {k.stalled, "bull:q:stalled"},
      {k.stalled_check, "bull:q:stalled-check"},
      {k.limiter, "bull:q:limiter"},
      {k.repeat, "bull:q:repeat"},
      {k.waiting_children, "bull:q:waiting-children"},
      {k.key("de:d1"), "bull:q:de:d1"},
      {k.key("metrics:completed"), "bull:q:metrics:completed"},
      // Job keys: the id is appended to the base, sub-keys to the job key.
      {k.job("42"), "bull:q:42"},
      {k.job("repeat:s1:1700000000000"), "bull:q:repeat:s1:1700000000000"},
      {k.lock("42"), "bull:q:42:lock"},
      {k.logs("42"), "bull:q:42:logs"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.got, c.expected);
}

TEST(queue_keys, state_maps_waiting_to_wait) {
  const queue_keys k("bull", "q");
  const key_case cases[] = {
      {k.state("waiting"), "bull:q:wait"},
      {k.state("wait"), "bull:q:wait"},
      {k.state("active"), "bull:q:active"},
      {k.state("completed"), "bull:q:completed"},
      {k.state("failed"), "bull:q:failed"},
      {k.state("delayed"), "bull:q:delayed"},
      {k.state("prioritized"), "bull:q:prioritized"},
      {k.state("paused"), "bull:q:paused"},
      {k.state("waiting-children"), "bull:q:waiting-children"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.got, c.expected);
}

TEST(queue_keys, keeps_braces_for_cluster_hash_tags) {
  const queue_keys in_prefix("{bull}", "q");
  EXPECT_EQ(in_prefix.base(), "{bull}:q:");
  EXPECT_EQ(in_prefix.qualified(), "{bull}:q");
  EXPECT_EQ(in_prefix.wait, "{bull}:q:wait");
  EXPECT_EQ(in_prefix.stalled_check, "{bull}:q:stalled-check");
  EXPECT_EQ(in_prefix.lock("7"), "{bull}:q:7:lock");

  const queue_keys in_queue("bull", "{orders}");
  EXPECT_EQ(in_queue.base(), "bull:{orders}:");
  EXPECT_EQ(in_queue.events, "bull:{orders}:events");
  EXPECT_EQ(in_queue.job("9"), "bull:{orders}:9");
}

TEST(queue_keys, other_prefix_and_queue) {
  const queue_keys k("myapp", "emails");
  EXPECT_EQ(k.wait, "myapp:emails:wait");
  EXPECT_EQ(k.waiting_children, "myapp:emails:waiting-children");
  EXPECT_EQ(k.logs("a-b"), "myapp:emails:a-b:logs");
}

struct client_name_case {
  const char* prefix;
  const char* queue;
  const char* suffix;
  const char* expected;
};

TEST(client_name, is_prefix_and_base64_of_the_queue) {
  const client_name_case cases[] = {
      // Observed in the wire-format document (section 1.6).
      {"bull", "q11", "", "bull:cTEx"},
      {"bull", "q11", ":qe", "bull:cTEx:qe"},
      {"bull", "q11", ":w:myworker", "bull:cTEx:w:myworker"},
      // base64 with padding: "q" -> "cQ==", "qq" -> "cXE=", "qqq" -> "cXFx".
      {"bull", "q", "", "bull:cQ=="},
      {"bull", "qq", "", "bull:cXE="},
      {"bull", "qqq", "", "bull:cXFx"},
      {"{bull}", "emails", "", "{bull}:ZW1haWxz"},
      // Standard alphabet (+ and /), as Node's Buffer.toString('base64').
      {"bull", "\xfb\xff", "", "bull:+/8="},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(client_name(c.prefix, c.queue, c.suffix), c.expected) << c.queue << c.suffix;
  }
  EXPECT_EQ(client_name("bull", "q11"), "bull:cTEx");
}

}  // namespace
}  // namespace drover::detail
