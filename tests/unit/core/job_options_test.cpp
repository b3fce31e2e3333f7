// job_options_test.cpp - job options: BullMQ's public names in, its stored names out,
// and the checks Node's Job.validateOptions() and Queue.add() make.
#include <gtest/gtest.h>

#include <drover/job_dependencies.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <string>

#include <drover/error.hpp>
#include <drover/job_options.hpp>

namespace json = boost::json;

namespace drover {
namespace {

json::object parse_object(const char* text) { return json::parse(text).as_object(); }

// Runs f, which must throw drover::error(invalid_argument) whose message names `option`.
template <class F>
void expect_invalid(F&& f, const std::string& option, const std::string& context) {
  try {
    f();
    ADD_FAILURE() << context << ": accepted, expected invalid_argument naming '" << option << "'";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument)) << context << ": code " << e.code().message();
    EXPECT_NE(std::string(e.what()).find(option), std::string::npos)
        << context << ": message '" << e.what() << "' does not name '" << option << "'";
  }
}

// --- from_json: valid inputs, checked through what they store -------------------------

struct stored_case {
  const char* options;  // public names, as given to Queue.add
  const char* stored;   // what BullMQ writes in the job hash's "opts"
};

TEST(job_options, from_json_accepts_every_option_and_stores_bullmq_names) {
  const stored_case cases[] = {
      {"null", R"({"attempts":0})"},
      {"{}", R"({"attempts":0})"},
      {R"({"jobId":"abc"})", R"({"jobId":"abc","attempts":0})"},
      // Three ':'-separated parts are reserved for scheduler iterations, and allowed.
      {R"({"jobId":"repeat:abc:1700000000000"})", R"({"jobId":"repeat:abc:1700000000000","attempts":0})"},
      // Node compares `${parseInt(id)}` with the id: these are not integers to it.
      {R"({"jobId":"007"})", R"({"jobId":"007","attempts":0})"},
      {R"({"jobId":"12abc"})", R"({"jobId":"12abc","attempts":0})"},
      {R"({"jobId":"1e3"})", R"({"jobId":"1e3","attempts":0})"},
      {R"({"jobId":"x0"})", R"({"jobId":"x0","attempts":0})"},
      // Past 2^53 a JavaScript number prints back rounded: a snowflake id is a string id.
      {R"({"jobId":"1234567890123456789"})", R"({"jobId":"1234567890123456789","attempts":0})"},
      {R"({"jobId":"9007199254740993"})", R"({"jobId":"9007199254740993","attempts":0})"},
      {R"({"jobId":"9223372036854775807"})", R"({"jobId":"9223372036854775807","attempts":0})"},
      {R"({"jobId":"-0"})", R"({"jobId":"-0","attempts":0})"},
      {R"({"timestamp":1700000000000})", R"({"timestamp":1700000000000,"attempts":0})"},
      {R"({"delay":0})", R"({"delay":0,"attempts":0})"},
      {R"({"delay":5000})", R"({"delay":5000,"attempts":0})"},
      // As Node adds them: a computed delay with a fraction, or one already past.
      {R"({"delay":434.99999999999994})", R"({"delay":435,"attempts":0})"},
      {R"({"delay":-250})", R"({"delay":0,"attempts":0})"},
      {R"({"removeOnComplete":{"age":86400.5}})", R"({"removeOnComplete":{"age":86400.5},"attempts":0})"},
      {R"({"priority":0})", R"({"priority":0,"attempts":0})"},
      {R"({"priority":1})", R"({"priority":1,"attempts":0})"},
      {R"({"priority":2097151})", R"({"priority":2097151,"attempts":0})"},
      {R"({"priority":3.0})", R"({"priority":3,"attempts":0})"},  // Math.trunc(3.0) === 3.0
      {R"({"lifo":true})", R"({"lifo":true,"attempts":0})"},
      {R"({"lifo":false})", R"({"lifo":false,"attempts":0})"},
      {R"({"attempts":3})", R"({"attempts":3})"},
      {R"({"attempts":0})", R"({"attempts":0})"},
      // A number means a fixed backoff (Node's Backoffs.normalize).
      {R"({"backoff":1000})", R"({"backoff":{"type":"fixed","delay":1000},"attempts":0})"},
      {R"({"backoff":{"type":"exponential","delay":200}})",
       R"({"backoff":{"type":"exponential","delay":200},"attempts":0})"},
      // An object is stored as given (an outside review: Node's {type} and {delay}).
      {R"({"backoff":{"type":"exponential"}})", R"({"backoff":{"type":"exponential"},"attempts":0})"},
      {R"({"backoff":{"delay":200}})", R"({"backoff":{"delay":200},"attempts":0})"},
      {R"({"backoff":{"type":"fixed","delay":100,"jitter":0.5}})",
       R"({"backoff":{"type":"fixed","delay":100,"jitter":0.5},"attempts":0})"},
      {R"({"backoff":{"type":"fixed","delay":100,"jitter":0}})",
       R"({"backoff":{"type":"fixed","delay":100,"jitter":0.0},"attempts":0})"},
      {R"({"backoff":{"type":"fixed","delay":100,"jitter":1}})",
       R"({"backoff":{"type":"fixed","delay":100,"jitter":1.0},"attempts":0})"},
      {R"({"removeOnComplete":true})", R"({"removeOnComplete":true,"attempts":0})"},
      {R"({"removeOnComplete":false})", R"({"removeOnComplete":false,"attempts":0})"},
      {R"({"removeOnComplete":10})", R"({"removeOnComplete":10,"attempts":0})"},
      {R"({"removeOnFail":{"age":3600,"count":100,"limit":10}})",
       R"({"removeOnFail":{"age":3600,"count":100,"limit":10},"attempts":0})"},
      {R"({"removeOnFail":0})", R"({"removeOnFail":0,"attempts":0})"},
      {R"({"stackTraceLimit":2})", R"({"stackTraceLimit":2,"attempts":0})"},
      {R"({"keepLogs":3})", R"({"kl":3,"attempts":0})"},
      {R"({"sizeLimit":1024})", R"({"sizeLimit":1024,"attempts":0})"},
      {R"({"timeout":5000})", R"({"timeout":5000,"attempts":0})"},
      {R"({"deduplication":{"id":"d1"}})", R"({"de":{"id":"d1"},"attempts":0})"},
      {R"({"deduplication":{"id":"d1","ttl":1000,"extend":true,"replace":true}})",
       R"({"de":{"id":"d1","ttl":1000,"extend":true,"replace":true},"attempts":0})"},
      {R"({"failParentOnFailure":true})", R"({"fpof":true,"attempts":0})"},
      {R"({"continueParentOnFailure":true})", R"({"cpof":true,"attempts":0})"},
      {R"({"ignoreDependencyOnFailure":true})", R"({"idof":true,"attempts":0})"},
      {R"({"removeDependencyOnFailure":true})", R"({"rdof":true,"attempts":0})"},
      {R"({"parent":{"id":"p1","queue":"bull:parents"}})",
       R"({"parent":{"id":"p1","queue":"bull:parents"},"attempts":0})"},
      {R"({"telemetry":{"metadata":"tp","omitContext":true}})", R"({"tm":"tp","omc":true,"attempts":0})"},
      {R"({"prevMillis":1700000000000})", R"({"prevMillis":1700000000000,"attempts":0})"},
      // drover's replicated adds are never stored: Node sees the same job.
      {R"({"minReplicas":1,"replicationTimeout":250})", R"({"attempts":0})"},
      {R"({"minReplicas":0})", R"({"attempts":0})"},
      // The wire-format document's observed sample (section 2.2).
      {R"({"removeOnComplete":5,"removeOnFail":7,"keepLogs":3,"stackTraceLimit":2})",
       R"({"kl":3,"stackTraceLimit":2,"removeOnComplete":5,"removeOnFail":7,"attempts":0})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.options);
    job_options o;
    ASSERT_NO_THROW(o = job_options::from_json(json::parse(c.options)));
    EXPECT_EQ(json::value(o.to_stored()), json::parse(c.stored)) << json::serialize(o.to_stored());
  }
}

// Boost's parser reads "0e7943" as NaN, which a delay was cast to an integer from (the
// fuzzer's find: undefined behaviour); refused like any value that is no number.
TEST(job_options, a_number_that_reads_as_nan_is_refused) {
  const auto v = json::parse(R"({"delay":0e7943})");
  ASSERT_TRUE(v.at("delay").is_double());
  if (!std::isnan(v.at("delay").as_double())) GTEST_SKIP() << "this Boost reads it as a number";
  try {
    (void)job_options::from_json(v);
    ADD_FAILURE() << "accepted";
  } catch (const drover::error& e) {
    EXPECT_TRUE(e.is(drover::errc::invalid_argument)) << e.what();
  }
}

TEST(job_options, from_json_fills_the_fields) {
  auto o = job_options::from_json(json::parse(R"({
    "jobId": "order-7", "timestamp": 1700000000000, "delay": 250, "priority": 9,
    "lifo": true, "attempts": 4, "backoff": {"type": "exponential", "delay": 300, "jitter": 0.25},
    "removeOnComplete": 3, "removeOnFail": {"age": 60}, "stackTraceLimit": 5,
    "keepLogs": 10, "sizeLimit": 2048, "timeout": 1500,
    "deduplication": {"id": "dd", "ttl": 5000}, "failParentOnFailure": true})"));
  EXPECT_EQ(o.job_id, "order-7");
  EXPECT_EQ(o.timestamp, 1700000000000);
  EXPECT_EQ(o.delay, 250);
  EXPECT_EQ(o.priority, 9);
  EXPECT_EQ(o.lifo, true);
  EXPECT_EQ(o.attempts, 4);
  ASSERT_TRUE(o.backoff.has_value());
  EXPECT_EQ(o.backoff->type, "exponential");
  EXPECT_EQ(o.backoff->delay, 300);
  EXPECT_EQ(o.backoff->jitter, 0.25);
  EXPECT_EQ(o.remove_on_complete, json::value(3));
  EXPECT_EQ(o.remove_on_fail, json::parse(R"({"age":60})"));
  EXPECT_EQ(o.stack_trace_limit, 5);
  EXPECT_EQ(o.keep_logs, 10);
  EXPECT_EQ(o.size_limit, 2048);
  EXPECT_EQ(o.timeout, 1500);
  EXPECT_EQ(o.deduplication, parse_object(R"({"id":"dd","ttl":5000})"));
  EXPECT_EQ(o.extra, parse_object(R"({"failParentOnFailure":true})"));
}

TEST(job_options, from_json_reads_replication_and_to_json_leaves_it_out) {
  auto o = job_options::from_json(json::parse(R"({"minReplicas":2,"replicationTimeout":300,"attempts":1})"));
  EXPECT_EQ(o.replication.min_replicas, 2);
  EXPECT_EQ(o.replication.timeout, std::chrono::milliseconds(300));
  EXPECT_EQ(json::value(o.to_json()), json::parse(R"({"attempts":1})"));
  // Unset: no waiting, and a timeout WAIT would accept.
  auto d = job_options::from_json(json::parse("{}"));
  EXPECT_EQ(d.replication.min_replicas, 0);
  EXPECT_EQ(d.replication.timeout, std::chrono::milliseconds(1000));
}

TEST(job_options, from_json_backoff_number_is_fixed) {
  auto o = job_options::from_json(json::parse(R"({"backoff":750})"));
  ASSERT_TRUE(o.backoff.has_value());
  EXPECT_EQ(o.backoff->type, "fixed");
  EXPECT_EQ(o.backoff->delay, 750);
  EXPECT_FALSE(o.backoff->jitter.has_value());
}

// --- from_json: rejected inputs ------------------------------------------------------

struct rejected_case {
  const char* options;
  const char* option;  // the name the message must contain
};

TEST(job_options, an_empty_job_id_is_none_and_zero_is_refused_in_nodes_words) {
  EXPECT_FALSE(job_options::from_json(boost::json::parse(R"({"jobId":""})")).job_id.has_value());
  try {
    job_options::from_json(boost::json::parse(R"({"jobId":"0"})"));
    ADD_FAILURE() << "jobId 0 accepted";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("JobId cannot be '0' or start with '0:'"), std::string::npos) << e.what();
  }
}

TEST(job_options, from_json_rejects_with_the_option_named) {
  const rejected_case cases[] = {
      // Custom ids (Job.validateOptions, Queue.add).
      {R"({"jobId":"123"})", "jobId"},
      {R"({"jobId":"9007199254740992"})", "jobId"},
      {R"({"jobId":"100000000000000000000"})", "jobId"},  // 1e20 prints back whole
      {R"({"jobId":"-7"})", "jobId"},
      {R"({"jobId":123})", "jobId"},
      {R"({"jobId":1.5})", "jobId"},
      {R"({"jobId":true})", "jobId"},
      {R"({"jobId":"a:b"})", "jobId"},
      {R"({"jobId":":"})", "jobId"},
      {R"({"jobId":"a:b:c:d"})", "jobId"},
      {R"({"jobId":"0"})", "jobId"},
      {R"({"jobId":"0:x"})", "jobId"},
      {R"({"jobId":"0:x:y"})", "jobId"},  // three parts, but still starts with "0:"
      // The queue's own keys (a library review: "limiter" stopped rate-limited workers).
      {R"({"jobId":"limiter"})", "jobId"},
      {R"({"jobId":"meta"})", "jobId"},
      {R"({"jobId":"stalled-check"})", "jobId"},
      {R"({"jobId":"events"})", "jobId"},
      // Numbers.
      {R"({"priority":1.5})", "priority"},
      {R"({"priority":-1})", "priority"},
      {R"({"priority":2097152})", "priority"},
      {R"({"priority":"1"})", "priority"},
      {R"({"delay":"soon"})", "delay"},
      {R"({"attempts":-1})", "attempts"},
      {R"({"attempts":2.5})", "attempts"},
      {R"({"timestamp":"now"})", "timestamp"},
      {R"({"lifo":1})", "lifo"},
      {R"({"stackTraceLimit":-1})", "stackTraceLimit"},
      {R"({"keepLogs":"all"})", "keepLogs"},
      {R"({"sizeLimit":-1})", "sizeLimit"},
      {R"({"timeout":0})", "timeout"},
      // Replicated adds: WAIT takes a 0 timeout to mean "forever", so 0 is refused.
      {R"({"minReplicas":-1})", "minReplicas"},
      {R"({"minReplicas":1.5})", "minReplicas"},
      {R"({"minReplicas":"1"})", "minReplicas"},
      {R"({"minReplicas":1,"replicationTimeout":0})", "replicationTimeout"},
      {R"({"replicationTimeout":-5})", "replicationTimeout"},
      // Backoff.
      {R"({"backoff":{"type":"fixed","delay":100,"jitter":1.5}})", "jitter"},
      {R"({"backoff":{"type":"fixed","delay":100,"jitter":-0.1}})", "jitter"},
      {R"({"backoff":{"type":"fixed","delay":100,"jitter":"x"}})", "jitter"},
      {R"({"backoff":-5})", "backoff"},
      {R"({"backoff":"fixed"})", "backoff"},
      {R"({"backoff":{"type":"fixed","delay":-1}})", "backoff.delay"},
      {R"({"backoff":{"type":3,"delay":100}})", "backoff.type"},
      {R"({"backoff":{"type":"fixed","delay":100,"max":5}})", "backoff"},
      // Keep-jobs options.
      {R"({"removeOnComplete":"yes"})", "removeOnComplete"},
      {R"({"removeOnComplete":-1})", "removeOnComplete"},
      {R"({"removeOnFail":{"age":1,"bogus":2}})", "removeOnFail"},
      {R"({"removeOnFail":{"age":"old"}})", "removeOnFail.age"},
      // Deduplication.
      {R"({"deduplication":{"ttl":100}})", "deduplication"},
      {R"({"deduplication":{"id":""}})", "deduplication"},
      {R"({"deduplication":"d1"})", "deduplication"},
      {R"({"deduplication":{"id":"d1"},"parent":{"id":"p1","queue":"bull:parents"}})", "deduplication"},
      {R"({"debounce":{"id":"d1"}})", "debounce"},
      // Unknown names, including a misspelling and a stored (compressed) name.
      {R"({"fooBar":1})", "fooBar"},
      {R"({"jobid":"abc"})", "jobid"},
      {R"({"kl":3})", "kl"},
  };
  for (const auto& c : cases) {
    expect_invalid([&] { job_options::from_json(json::parse(c.options)); }, c.option, c.options);
  }
}

TEST(job_options, from_json_rejects_what_is_not_an_object) {
  for (const char* text : {"[]", "1", "\"jobId\"", "true"}) {
    expect_invalid([&] { job_options::from_json(json::parse(text)); }, "", text);
  }
}

// Regression (was a bug): Node's validateOptions() tests `if (this.opts.deduplication)`, and {} is truthy,
// so {"deduplication":{}} fails there with "Deduplication id must be provided".
// job_options::validate() (src/core/job_options.cpp, `if (!deduplication.empty())`)
// skips the check for an empty object and accepts it.
TEST(job_options, from_json_rejects_empty_deduplication) {
  expect_invalid([] { job_options::from_json(json::parse(R"({"deduplication":{}})")); }, "deduplication",
                 "empty deduplication object");
}

// Regression (was a bug): BullMQ 6.7.0's validateOptions() refuses more than one of failParentOnFailure,
// continueParentOnFailure, ignoreDependencyOnFailure, removeDependencyOnFailure
// ("The following options cannot be used together: ..."); job_options::validate()
// does not check this.
TEST(job_options, from_json_rejects_exclusive_parent_failure_options_together) {
  expect_invalid(
      [] { job_options::from_json(json::parse(R"({"failParentOnFailure":true,"ignoreDependencyOnFailure":true})")); },
      "failParentOnFailure", "fpof + idof");
}

// A Node user's review: a parent drover could not read was dropped, and the "child" ran
// alone while its parent completed without it. Node refuses these too; an integer id is
// Node's "<n>".
TEST(job_options, from_json_refuses_a_parent_it_cannot_name) {
  for (const char* bad : {R"({"parent":{"id":"P"}})", R"({"parent":{"queue":"bull:q"}})", R"({"parent":"bull:q:1"})",
                          R"({"parent":{"id":"P","queue":7}})", R"({"parent":{"id":"","queue":"bull:q"}})",
                          R"({"parent":{"id":1.5,"queue":"bull:q"}})"}) {
    expect_invalid([bad] { job_options::from_json(json::parse(bad)); }, "parent", bad);
  }
  const auto numbered = job_options::from_json(json::parse(R"({"parent":{"id":1,"queue":"bull:q"}})"));
  const auto parent = parent_of(numbered);
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->key(), "bull:q:1");
}

// --- validate on a hand-built struct -------------------------------------------------

struct validate_case {
  const char* what;
  std::function<void(job_options&)> set;
  const char* option;  // nullptr: valid
};

TEST(job_options, validate_checks_fields_set_directly) {
  const validate_case cases[] = {
      {"default", [](job_options&) {}, nullptr},
      {"string id", [](job_options& o) { o.job_id = "abc"; }, nullptr},
      {"integer id", [](job_options& o) { o.job_id = "123"; }, "jobId"},
      {"id 0", [](job_options& o) { o.job_id = "0"; }, "jobId"},
      {"id 0:x", [](job_options& o) { o.job_id = "0:x"; }, "jobId"},
      {"id a:b", [](job_options& o) { o.job_id = "a:b"; }, "jobId"},
      {"id a:b:c", [](job_options& o) { o.job_id = "a:b:c"; }, nullptr},
      {"priority limit", [](job_options& o) { o.priority = 2097151; }, nullptr},
      {"priority over", [](job_options& o) { o.priority = 2097152; }, "priority"},
      {"priority negative", [](job_options& o) { o.priority = -3; }, "priority"},
      {"delay negative", [](job_options& o) { o.delay = -1; }, "delay"},
      {"attempts negative", [](job_options& o) { o.attempts = -1; }, "attempts"},
      {"backoff delay negative",
       [](job_options& o) {
         o.backoff = backoff_options{"fixed", -1, std::nullopt};
       },
       "backoff.delay"},
      {"jitter over",
       [](job_options& o) {
         o.backoff = backoff_options{"fixed", 10, 1.01};
       },
       "jitter"},
      {"jitter under",
       [](job_options& o) {
         o.backoff = backoff_options{"fixed", 10, -0.01};
       },
       "jitter"},
      {"jitter bounds",
       [](job_options& o) {
         o.backoff = backoff_options{"exponential", 10, 1.0};
       },
       nullptr},
      {"dedup without id",
       [](job_options& o) {
         o.deduplication = {{"ttl", 5}};
       },
       "deduplication"},
      {"dedup with id",
       [](job_options& o) {
         o.deduplication = {{"id", "d"}};
       },
       nullptr},
      {"min replicas negative", [](job_options& o) { o.replication.min_replicas = -1; }, "minReplicas"},
      {"replication timeout 0", [](job_options& o) { o.replication.timeout = std::chrono::milliseconds(0); },
       "replicationTimeout"},
      {"replicated",
       [](job_options& o) {
         o.replication = {2, std::chrono::milliseconds(1)};
       },
       nullptr},
  };
  for (const auto& c : cases) {
    job_options o;
    c.set(o);
    if (c.option) {
      expect_invalid([&] { o.validate(); }, c.option, c.what);
    } else {
      EXPECT_NO_THROW(o.validate()) << c.what;
    }
  }
}

// --- to_stored / to_json -------------------------------------------------------------

struct set_case {
  const char* what;
  std::function<void(job_options&)> set;
  const char* stored;
};

TEST(job_options, to_stored_writes_only_what_was_set_with_stored_names) {
  const set_case cases[] = {
      {"nothing", [](job_options&) {}, R"({"attempts":0})"},
      {"job_id", [](job_options& o) { o.job_id = "j"; }, R"({"jobId":"j","attempts":0})"},
      {"timestamp", [](job_options& o) { o.timestamp = 5; }, R"({"timestamp":5,"attempts":0})"},
      {"delay", [](job_options& o) { o.delay = 0; }, R"({"delay":0,"attempts":0})"},
      {"priority", [](job_options& o) { o.priority = 2; }, R"({"priority":2,"attempts":0})"},
      {"lifo", [](job_options& o) { o.lifo = false; }, R"({"lifo":false,"attempts":0})"},
      {"attempts", [](job_options& o) { o.attempts = 7; }, R"({"attempts":7})"},
      {"backoff",
       [](job_options& o) {
         o.backoff = backoff_options{"exponential", 50, std::nullopt};
       },
       R"({"backoff":{"type":"exponential","delay":50},"attempts":0})"},
      {"remove_on_complete", [](job_options& o) { o.remove_on_complete = true; },
       R"({"removeOnComplete":true,"attempts":0})"},
      {"remove_on_fail",
       [](job_options& o) {
         o.remove_on_fail = json::object{{"count", 2}};
       },
       R"({"removeOnFail":{"count":2},"attempts":0})"},
      {"stack_trace_limit", [](job_options& o) { o.stack_trace_limit = 0; }, R"({"stackTraceLimit":0,"attempts":0})"},
      {"keep_logs", [](job_options& o) { o.keep_logs = 4; }, R"({"kl":4,"attempts":0})"},
      {"size_limit", [](job_options& o) { o.size_limit = 9; }, R"({"sizeLimit":9,"attempts":0})"},
      {"timeout", [](job_options& o) { o.timeout = 100; }, R"({"timeout":100,"attempts":0})"},
      {"deduplication",
       [](job_options& o) {
         o.deduplication = {{"id", "x"}};
       },
       R"({"de":{"id":"x"},"attempts":0})"},
      {"fpof", [](job_options& o) { o.extra["failParentOnFailure"] = true; }, R"({"fpof":true,"attempts":0})"},
      {"cpof", [](job_options& o) { o.extra["continueParentOnFailure"] = true; }, R"({"cpof":true,"attempts":0})"},
      {"idof", [](job_options& o) { o.extra["ignoreDependencyOnFailure"] = true; }, R"({"idof":true,"attempts":0})"},
      {"rdof", [](job_options& o) { o.extra["removeDependencyOnFailure"] = true; }, R"({"rdof":true,"attempts":0})"},
      {"telemetry",
       [](job_options& o) {
         o.extra["telemetry"] = json::object{{"metadata", "m"}};
       },
       R"({"tm":"m","attempts":0})"},
      {"unknown extra", [](job_options& o) { o.extra["future"] = 1; }, R"({"future":1,"attempts":0})"},
  };
  for (const auto& c : cases) {
    job_options o;
    c.set(o);
    EXPECT_EQ(json::value(o.to_stored()), json::parse(c.stored)) << c.what << ": " << json::serialize(o.to_stored());
  }
}

TEST(job_options, to_json_uses_public_names) {
  auto o = job_options::from_json(json::parse(R"({
    "jobId": "j1", "keepLogs": 3, "deduplication": {"id": "d"}, "failParentOnFailure": true,
    "continueParentOnFailure": false, "ignoreDependencyOnFailure": false, "removeDependencyOnFailure": false,
    "backoff": 20})"));
  EXPECT_EQ(json::value(o.to_json()), json::parse(R"({
    "jobId": "j1", "attempts": 0, "keepLogs": 3, "deduplication": {"id": "d"},
    "failParentOnFailure": true, "continueParentOnFailure": false,
    "ignoreDependencyOnFailure": false, "removeDependencyOnFailure": false,
    "backoff": {"type": "fixed", "delay": 20}})"))
      << json::serialize(o.to_json());
}

// Regression (was a bug): Node's optsFromJSON turns the stored "tm"/"omc" back into
// telemetry: {metadata, omitContext}; job_options::to_json() (src/core/job_options.cpp)
// renames kl, de and the parent flags but leaves "tm" and "omc" as they are stored.
TEST(job_options, to_json_shows_telemetry_with_public_names) {
  auto o = job_options::from_json(json::parse(R"({"telemetry":{"metadata":"tp","omitContext":true}})"));
  EXPECT_EQ(json::value(o.to_json()), json::parse(R"({"telemetry":{"metadata":"tp","omitContext":true},"attempts":0})"))
      << json::serialize(o.to_json());
}

// --- from_stored ---------------------------------------------------------------------

TEST(job_options, from_stored_reads_bullmq_stored_names) {
  // As Node 6.7.0 writes it for a child job with every compressed option.
  auto o = job_options::from_stored(parse_object(R"({
    "jobId": "c1", "attempts": 3, "backoff": {"type": "exponential", "delay": 1000},
    "kl": 5, "de": {"id": "d", "ttl": 100}, "fpof": true, "cpof": false, "idof": true, "rdof": false,
    "removeOnComplete": {"age": 10}, "removeOnFail": false, "stackTraceLimit": 1, "sizeLimit": 10,
    "timestamp": 1700000000000, "delay": 5, "priority": 6, "lifo": true, "timeout": 30,
    "parent": {"id": "p", "queue": "bull:parents"}, "somethingNew": [1]})"));
  EXPECT_EQ(o.job_id, "c1");
  EXPECT_EQ(o.attempts, 3);
  ASSERT_TRUE(o.backoff.has_value());
  EXPECT_EQ(o.backoff->type, "exponential");
  EXPECT_EQ(o.backoff->delay, 1000);
  EXPECT_EQ(o.keep_logs, 5);
  EXPECT_EQ(o.deduplication, parse_object(R"({"id":"d","ttl":100})"));
  EXPECT_EQ(o.remove_on_complete, json::parse(R"({"age":10})"));
  EXPECT_EQ(o.remove_on_fail, json::value(false));
  EXPECT_EQ(o.stack_trace_limit, 1);
  EXPECT_EQ(o.size_limit, 10);
  EXPECT_EQ(o.timestamp, 1700000000000);
  EXPECT_EQ(o.delay, 5);
  EXPECT_EQ(o.priority, 6);
  EXPECT_EQ(o.lifo, true);
  EXPECT_EQ(o.timeout, 30);
  EXPECT_EQ(o.extra, parse_object(R"({
    "failParentOnFailure": true, "continueParentOnFailure": false,
    "ignoreDependencyOnFailure": true, "removeDependencyOnFailure": false,
    "parent": {"id": "p", "queue": "bull:parents"}, "somethingNew": [1]})"));
}

TEST(job_options, from_stored_is_lenient) {
  // Stored data is never refused: odd values are dropped or passed through.
  job_options o;
  ASSERT_NO_THROW(o = job_options::from_stored(
                      parse_object(R"({"attempts":"x","priority":1.5,"backoff":"weird","jobId":12,"de":"y"})")));
  EXPECT_FALSE(o.attempts.has_value());
  EXPECT_FALSE(o.priority.has_value());
  EXPECT_FALSE(o.backoff.has_value());
  EXPECT_FALSE(o.job_id.has_value());
  EXPECT_TRUE(o.deduplication.empty());
  EXPECT_EQ(o.extra.at("backoff"), json::value("weird"));
  // A timeout Node computed (300.5) or wrote as text is honoured, made whole upwards (it
  // was dropped without a word: a time review).
  for (const auto& [stored, ms] : std::vector<std::pair<const char*, std::int64_t>>{
           {R"({"timeout":300.5})", 301}, {R"({"timeout":0.7})", 1}, {R"({"timeout":"700"})", 700}}) {
    EXPECT_EQ(job_options::from_stored(parse_object(stored)).timeout, ms) << stored;
  }
  // A missing attempts is 0 to Node, and is written back as 0.
  EXPECT_EQ(json::value(job_options::from_stored({}).to_stored()), json::parse(R"({"attempts":0})"));
}

// A custom strategy's settings ride in the backoff object (Node's backoffStrategy reads
// job.opts.backoff): they are stored again as they came, with a retry or a scheduler's
// next job; beside fixed or exponential, which read none, one is taken for a typo.
TEST(job_options, backoff_keeps_a_custom_strategys_fields) {
  auto stored = job_options::from_stored(parse_object(R"({"backoff":{"type":"fixed","delay":10,"maxDelay":99}})"));
  EXPECT_EQ(json::value(stored.to_stored()).at("backoff"), json::parse(R"({"type":"fixed","delay":10,"maxDelay":99})"));
  auto custom = job_options::from_json(json::parse(R"({"backoff":{"type":"capped","delay":10,"cap":{"ms":500}}})"));
  EXPECT_EQ(json::value(custom.to_stored()).at("backoff"),
            json::parse(R"({"type":"capped","delay":10,"cap":{"ms":500}})"));
  try {
    job_options::from_json(json::parse(R"({"backoff":{"type":"fixed","dealy":10}})"));
    FAIL() << "a misspelt field beside a fixed backoff was accepted";
  } catch (const drover::error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown field 'dealy' for type 'fixed'"), std::string::npos) << e.what();
  }
}

TEST(job_options, from_stored_reads_loose_numbers_as_nodes_worker_uses_them) {
  // attempts is compared with `<` (2.5 allows a third attempt); stackTraceLimit and
  // keepLogs are cut to whole numbers; a backoff delay is milliseconds.
  auto o = job_options::from_stored(
      parse_object(R"({"attempts":"3","stackTraceLimit":"2","kl":2.9,"backoff":{"type":"fixed","delay":300.5}})"));
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(o.stack_trace_limit, 2);
  EXPECT_EQ(o.keep_logs, 2);
  ASSERT_TRUE(o.backoff);
  EXPECT_EQ(o.backoff->delay, 301);
  EXPECT_EQ(job_options::from_stored(parse_object(R"({"attempts":2.5})")).attempts, 3);
  EXPECT_EQ(job_options::from_stored(parse_object(R"({"attempts":" 4 "})")).attempts, 4);
  EXPECT_FALSE(job_options::from_stored(parse_object(R"({"attempts":"3x"})")).attempts);
  EXPECT_FALSE(job_options::from_stored(parse_object(R"({"attempts":""})")).attempts);
  EXPECT_EQ(job_options::from_stored(parse_object(R"({"attempts":1e300})")).attempts, 9007199254740992);
}

// A jitter Node stored as text (a setting read from the environment) is a number to
// Node's arithmetic; the whole backoff was dropped, and the job retried at once.
TEST(job_options, from_stored_reads_a_jitter_given_as_text_as_node_does) {
  auto o = job_options::from_stored(
      parse_object(R"({"backoff":{"type":"exponential","delay":2000,"jitter":"0.5"},"attempts":2})"));
  ASSERT_TRUE(o.backoff);
  EXPECT_EQ(o.backoff->type, "exponential");
  EXPECT_EQ(o.backoff->delay, 2000);
  EXPECT_EQ(o.backoff->jitter, 0.5);
  // Text that is no number is no jitter (`"x" > 0` is false), not a reason to drop the backoff.
  auto none = job_options::from_stored(parse_object(R"({"backoff":{"type":"fixed","delay":50,"jitter":"x"}})"));
  ASSERT_TRUE(none.backoff);
  EXPECT_EQ(none.backoff->delay, 50);
  EXPECT_FALSE(none.backoff->jitter);
  EXPECT_THROW(job_options::from_json(json::parse(R"({"backoff":{"type":"fixed","delay":50,"jitter":"0.5"}})")), error);
}

TEST(job_options, from_stored_of_to_stored_round_trips) {
  const char* cases[] = {
      "{}",
      R"({"jobId":"abc","delay":100,"priority":4,"lifo":true,"attempts":2})",
      R"({"timestamp":1700000000000,"backoff":{"type":"exponential","delay":10,"jitter":0.5}})",
      R"({"backoff":300,"removeOnComplete":true,"removeOnFail":{"age":5,"count":1}})",
      R"({"stackTraceLimit":3,"keepLogs":2,"sizeLimit":100,"timeout":1000})",
      R"({"deduplication":{"id":"d","ttl":10}})",
      R"({"failParentOnFailure":true,"parent":{"id":"p","queue":"bull:q"}})",
      R"({"continueParentOnFailure":true})",
      R"({"ignoreDependencyOnFailure":true})",
      R"({"removeDependencyOnFailure":true})",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    auto x = job_options::from_json(json::parse(text));
    auto y = job_options::from_stored(x.to_stored());
    EXPECT_EQ(y.job_id, x.job_id);
    EXPECT_EQ(y.timestamp, x.timestamp);
    EXPECT_EQ(y.delay, x.delay);
    EXPECT_EQ(y.priority, x.priority);
    EXPECT_EQ(y.lifo, x.lifo);
    EXPECT_EQ(y.attempts.value_or(0), x.attempts.value_or(0));
    ASSERT_EQ(y.backoff.has_value(), x.backoff.has_value());
    if (x.backoff) {
      EXPECT_EQ(y.backoff->type, x.backoff->type);
      EXPECT_EQ(y.backoff->delay, x.backoff->delay);
      EXPECT_EQ(y.backoff->jitter, x.backoff->jitter);
    }
    EXPECT_EQ(y.remove_on_complete, x.remove_on_complete);
    EXPECT_EQ(y.remove_on_fail, x.remove_on_fail);
    EXPECT_EQ(y.stack_trace_limit, x.stack_trace_limit);
    EXPECT_EQ(y.keep_logs, x.keep_logs);
    EXPECT_EQ(y.size_limit, x.size_limit);
    EXPECT_EQ(y.timeout, x.timeout);
    EXPECT_EQ(y.deduplication, x.deduplication);
    EXPECT_EQ(y.extra, x.extra);
    EXPECT_EQ(y.to_stored(), x.to_stored());
    EXPECT_EQ(y.to_json(), x.to_json());
  }
}

// Regression (was a bug): same cause as to_json_shows_telemetry_with_public_names: from_stored() keeps
// "tm"/"omc" as extra options instead of rebuilding "telemetry", so the options read
// back differ from the ones written.
TEST(job_options, from_stored_rebuilds_telemetry) {
  auto x = job_options::from_json(json::parse(R"({"telemetry":{"metadata":"tp","omitContext":true}})"));
  auto y = job_options::from_stored(x.to_stored());
  EXPECT_EQ(y.extra, x.extra) << json::serialize(y.extra);
  EXPECT_EQ(y.to_stored(), x.to_stored());
}

// Issue 13 (fuzzing): to_json() renamed a stored key by inserting the public name while
// holding a pointer to the stored value; the insertion could reallocate the object, and
// the value was then read from freed memory (AddressSanitizer: heap-use-after-free).
TEST(job_options, issue13_to_json_renames_without_reading_freed_memory) {
  const struct {
    const char* stored;
    const char* shown;
  } cases[] = {
      // The fuzzer's input, as stored options.
      {R"({"priority":{"id":"x"},"fpof":"meta","backoff":7,"timestamp":1700000000000.0})",
       R"({"attempts":0,"timestamp":1700000000000,"backoff":{"type":"fixed","delay":7},"failParentOnFailure":"meta"})"},
      {R"({"kl":5,"de":{"id":"d","ttl":10},"fpof":true,"cpof":false,"idof":true,"rdof":false})",
       R"({"attempts":0,"keepLogs":5,"deduplication":{"id":"d","ttl":10},"failParentOnFailure":true,)"
       R"("continueParentOnFailure":false,"ignoreDependencyOnFailure":true,"removeDependencyOnFailure":false})"},
  };
  for (const auto& c : cases) {
    const auto shown = job_options::from_stored(parse_object(c.stored)).to_json();
    EXPECT_EQ(shown, parse_object(c.shown)) << c.stored << " -> " << json::serialize(shown);
  }
}

}  // namespace
}  // namespace drover
