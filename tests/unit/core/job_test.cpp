// job_test.cpp - reading a job hash as BullMQ stores it, and showing it as Node's
// job.toJSON() does.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include <drover/job.hpp>

namespace json = boost::json;

namespace drover {
namespace {

// HGETALL of a job that failed once, was retried with backoff and completed,
// as a Node worker leaves it (field names of section 2.1 of the wire format).
const std::vector<std::string> full_hash = {
    "name",
    "send-email",
    "data",
    R"({"to":"a@b.c","n":1})",
    "opts",
    R"({"attempts":3,"backoff":{"type":"exponential","delay":1000},)"
    R"("kl":5,"de":{"id":"d1"},"fpof":true,"jobId":"j-1"})",
    "timestamp",
    "1700000000000",
    "delay",
    "250",
    "priority",
    "4",
    "atm",
    "2",
    "ats",
    "3",
    "stc",
    "1",
    "processedOn",
    "1700000001000",
    "finishedOn",
    "1700000002000",
    "returnvalue",
    R"({"sent":true})",
    "failedReason",
    "boom: \"quoted\"",
    "stacktrace",
    R"(["Error: boom\n    at a.js:1","Error: again"])",
    "progress",
    R"({"pct":50})",
    "defa",
    "job stalled more than allowable limit",
    "pb",
    "worker-1",
    "rjk",
    "sched-1",
    "deid",
    "d1",
    "parentKey",
    "bull:parents:P1",
    "parent",
    R"({"id":"P1","queueKey":"bull:parents","fpof":true})",
    "someFutureField",
    "ignored",
};

TEST(job, from_hash_reads_every_field) {
  auto j = job::from_hash("j-1", full_hash);
  EXPECT_EQ(j.id, "j-1");
  EXPECT_EQ(j.name, "send-email");
  EXPECT_EQ(j.data, json::parse(R"({"to":"a@b.c","n":1})"));
  EXPECT_EQ(j.opts.attempts, 3);
  ASSERT_TRUE(j.opts.backoff.has_value());
  EXPECT_EQ(j.opts.backoff->type, "exponential");
  EXPECT_EQ(j.opts.backoff->delay, 1000);
  EXPECT_EQ(j.opts.keep_logs, 5);
  EXPECT_EQ(j.opts.deduplication, json::parse(R"({"id":"d1"})").as_object());
  EXPECT_EQ(j.opts.job_id, "j-1");
  EXPECT_EQ(j.opts.extra, json::parse(R"({"failParentOnFailure":true})").as_object());
  EXPECT_EQ(j.timestamp, 1700000000000);
  EXPECT_EQ(j.delay, 250);
  EXPECT_EQ(j.priority, 4);
  EXPECT_EQ(j.attempts_made, 2);
  EXPECT_EQ(j.attempts_started, 3);
  EXPECT_EQ(j.stalled_counter, 1);
  EXPECT_EQ(j.processed_on, 1700000001000);
  EXPECT_EQ(j.finished_on, 1700000002000);
  EXPECT_EQ(j.returnvalue, json::parse(R"({"sent":true})"));
  EXPECT_EQ(j.failed_reason, "boom: \"quoted\"");  // raw text, not JSON
  EXPECT_EQ(j.stacktrace, (std::vector<std::string>{"Error: boom\n    at a.js:1", "Error: again"}));
  EXPECT_EQ(j.progress, json::parse(R"({"pct":50})"));
  EXPECT_EQ(j.deferred_failure, "job stalled more than allowable limit");
  EXPECT_EQ(j.processed_by, "worker-1");
  EXPECT_EQ(j.repeat_job_key, "sched-1");
  EXPECT_EQ(j.deduplication_id, "d1");
  EXPECT_EQ(j.parent_key, "bull:parents:P1");
  EXPECT_EQ(j.parent, json::parse(R"({"id":"P1","queueKey":"bull:parents","fpof":true})"));
}

TEST(job, from_hash_of_a_fresh_job_has_node_defaults) {
  // What an add script writes and nothing else.
  auto j = job::from_hash(
      "7", {"name", "n", "data", "{}", "opts", R"({"attempts":0})", "timestamp", "5", "delay", "0", "priority", "0"});
  EXPECT_EQ(j.id, "7");
  EXPECT_EQ(j.data, json::object());
  EXPECT_EQ(j.opts.attempts, 0);
  EXPECT_EQ(j.progress, json::value(0));
  EXPECT_EQ(j.attempts_made, 0);
  EXPECT_EQ(j.attempts_started, 0);
  EXPECT_EQ(j.stalled_counter, 0);
  EXPECT_FALSE(j.processed_on.has_value());
  EXPECT_FALSE(j.finished_on.has_value());
  EXPECT_TRUE(j.returnvalue.is_null());
  EXPECT_FALSE(j.failed_reason.has_value());
  EXPECT_TRUE(j.stacktrace.empty());
  EXPECT_FALSE(j.deferred_failure.has_value());
  EXPECT_FALSE(j.processed_by.has_value());
  EXPECT_FALSE(j.parent_key.has_value());
  EXPECT_TRUE(j.parent.is_null());
  EXPECT_FALSE(j.repeat_job_key.has_value());
  EXPECT_FALSE(j.deduplication_id.has_value());

  // No data field at all: Node's default is {}.
  EXPECT_EQ(job::from_hash("8", {"name", "n"}).data, json::object());
  // An odd trailing field without value is ignored.
  EXPECT_EQ(job::from_hash("9", {"name", "n", "delay"}).delay, 0);
}

// A scheduler's next job stores repeatJobKey in its opts as well as in rjk; Node's Job
// takes it out of the options (job.toJSON().opts has none).
TEST(job, from_hash_takes_repeat_job_key_out_of_the_options) {
  auto j = job::from_hash("repeat:s:1", {"name", "n", "rjk", "s", "opts", R"({"repeatJobKey":"s","attempts":1})"});
  EXPECT_EQ(j.repeat_job_key, "s");
  EXPECT_FALSE(j.opts.extra.contains("repeatJobKey"));
  EXPECT_FALSE(j.to_json().at("opts").as_object().contains("repeatJobKey"));
  EXPECT_EQ(j.to_json().at("repeatJobKey"), "s");
  EXPECT_EQ(job::from_hash("2", {"name", "n", "opts", R"({"repeatJobKey":"t"})"}).repeat_job_key, "t");
}

struct json_field_case {
  const char* field;
  const char* stored;
  json::value expected;
};

TEST(job, from_hash_parses_json_fields_and_keeps_bad_json_as_text) {
  const json_field_case cases[] = {
      {"data", "null", nullptr},
      {"data", "[1,2]", json::array{1, 2}},
      {"data", "\"s\"", "s"},
      {"data", "42", 42},
      {"data", "{not json", "{not json"},
      {"data", "plain text", "plain text"},
      {"returnvalue", "null", nullptr},
      {"returnvalue", "17", 17},
      {"returnvalue", "undefined", "undefined"},
      {"progress", "42", 42},
      {"progress", "0.5", 0.5},
      {"progress", "{oops", "{oops"},
      {"parent", "{bad", "{bad"},
      // What JSON.stringify writes and JSON.parse reads back exactly (drover/json.hpp):
      // a decimal Boost alone reads one unit off, and half of an emoji.
      {"data", R"({"x":0.9814678925280975})", json::object{{"x", 0.9814678925280975}}},
      {"returnvalue", "123456789.12345679", 123456789.12345679},
      {"data", R"({"s":"ab\ud83d"})", json::object{{"s", "ab\xEF\xBF\xBD"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.field) + "=" + c.stored);
    job j;
    ASSERT_NO_THROW(j = job::from_hash("1", {c.field, c.stored}));
    const json::value& got = std::string_view(c.field) == "data"          ? j.data
                             : std::string_view(c.field) == "returnvalue" ? j.returnvalue
                             : std::string_view(c.field) == "progress"    ? j.progress
                                                                          : j.parent;
    EXPECT_EQ(got, c.expected) << json::serialize(got);
  }
}

TEST(job, from_hash_reads_data_nested_deeper_than_32_levels_as_json) {
  const std::string deep = std::string(40, '[') + "1" + std::string(40, ']');
  auto j = job::from_hash("1", {"data", deep});
  ASSERT_TRUE(j.data.is_array());
  EXPECT_EQ(json::serialize(j.data), deep);
}

TEST(job, from_hash_tolerates_bad_opts_and_stacktrace) {
  job j;
  ASSERT_NO_THROW(j = job::from_hash("1", {"opts", "{nope", "stacktrace", "not json", "timestamp", "x"}));
  EXPECT_FALSE(j.opts.attempts.has_value());
  EXPECT_TRUE(j.stacktrace.empty());
  EXPECT_EQ(j.timestamp, 0);
  // Non-string entries of the stack trace are skipped.
  j = job::from_hash("1", {"stacktrace", R"(["a",1,null,"b"])"});
  EXPECT_EQ(j.stacktrace, (std::vector<std::string>{"a", "b"}));
  // cjson writes an empty Lua table as {}, so an empty trace may be stored as an object.
  j = job::from_hash("1", {"stacktrace", "{}"});
  EXPECT_TRUE(j.stacktrace.empty());
}

TEST(job, from_hash_reads_legacy_attempts_made) {
  EXPECT_EQ(job::from_hash("1", {"attemptsMade", "4"}).attempts_made, 4);
  EXPECT_EQ(job::from_hash("1", {"atm", "5"}).attempts_made, 5);
}

// Regression (was a bug): Node reads parseInt(raw.attemptsMade || raw.atm || '0'): the legacy field wins
// whenever it is present. job::from_hash (src/core/job.cpp, `k == "atm" || k ==
// "attemptsMade"`) takes whichever comes last in HGETALL's order, which Redis does not fix.
TEST(job, from_hash_prefers_legacy_attempts_made_as_node_does) {
  EXPECT_EQ(job::from_hash("1", {"atm", "3", "attemptsMade", "1"}).attempts_made, 1);
  EXPECT_EQ(job::from_hash("1", {"attemptsMade", "1", "atm", "3"}).attempts_made, 1);
}

// Regression (was a bug): Node loads an empty data field as {} (JSON.parse(raw.data || '{}')) and an
// empty progress as 0 (JSON.parse(raw.progress || '0')); job::from_hash keeps both
// as the empty string "" (src/core/job.cpp, parse_or_string).
TEST(job, from_hash_reads_empty_json_fields_as_node_defaults) {
  auto j = job::from_hash("1", {"data", "", "progress", ""});
  EXPECT_EQ(j.data, json::object()) << json::serialize(j.data);
  EXPECT_EQ(j.progress, json::value(0)) << json::serialize(j.progress);
}

TEST(job, to_json_uses_node_names) {
  auto j = job::from_hash("j-1", full_hash);
  auto o = j.to_json();
  const json::value expected = json::parse(R"({
    "id": "j-1",
    "name": "send-email",
    "data": {"to": "a@b.c", "n": 1},
    "opts": {"attempts": 3, "backoff": {"type": "exponential", "delay": 1000}, "keepLogs": 5,
             "deduplication": {"id": "d1"}, "failParentOnFailure": true, "jobId": "j-1"},
    "progress": {"pct": 50},
    "returnvalue": {"sent": true},
    "stacktrace": ["Error: boom\n    at a.js:1", "Error: again"],
    "delay": 250,
    "priority": 4,
    "attemptsStarted": 3,
    "attemptsMade": 2,
    "stalledCounter": 1,
    "timestamp": 1700000000000,
    "finishedOn": 1700000002000,
    "processedOn": 1700000001000,
    "failedReason": "boom: \"quoted\"",
    "deferredFailure": "job stalled more than allowable limit",
    "processedBy": "worker-1",
    "parentKey": "bull:parents:P1",
    "parent": {"id": "P1", "queueKey": "bull:parents", "fpof": true},
    "repeatJobKey": "sched-1",
    "deduplicationId": "d1"
  })");
  EXPECT_EQ(json::value(o), expected) << json::serialize(o);
}

TEST(job, to_json_leaves_out_what_is_unset) {
  job j;
  j.id = "3";
  j.name = "n";
  j.data = json::object{{"k", "v"}};
  auto o = j.to_json();
  const json::value expected = json::parse(R"({
    "id": "3", "name": "n", "data": {"k": "v"}, "opts": {"attempts": 0}, "progress": 0,
    "returnvalue": null, "stacktrace": [], "delay": 0, "priority": 0, "attemptsStarted": 0,
    "attemptsMade": 0, "stalledCounter": 0, "timestamp": 0})");
  EXPECT_EQ(json::value(o), expected) << json::serialize(o);
  for (const char* absent : {"finishedOn", "processedOn", "failedReason", "deferredFailure", "processedBy", "parentKey",
                             "parent", "repeatJobKey", "deduplicationId"}) {
    EXPECT_FALSE(o.contains(absent)) << absent;
  }
}

}  // namespace
}  // namespace drover
