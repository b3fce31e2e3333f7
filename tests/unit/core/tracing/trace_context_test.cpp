// trace_context_test.cpp - W3C traceparent reading and writing, and the job option that
// carries it (telemetry.metadata, stored as "tm", the JSON bullmq-otel writes).
#include <drover/tracing.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace drover {
namespace {

constexpr const char* sample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(trace_context, reads_and_writes_a_traceparent) {
  auto c = trace_context::parse(sample);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c->span_id_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(c->flags, 1);
  EXPECT_EQ(c->traceparent(), sample);
}

TEST(trace_context, refuses_what_w3c_calls_invalid) {
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"}) {
    EXPECT_FALSE(trace_context::parse(bad)) << bad;
  }
  // A later version may add fields after its own.
  EXPECT_TRUE(trace_context::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more"));
}

TEST(trace_context, travels_in_the_jobs_telemetry_metadata_as_bullmq_otel_writes_it) {
  auto c = *trace_context::parse(sample);
  job_options o;
  set_trace_parent(o, c);
  auto stored = o.to_stored();
  ASSERT_TRUE(stored.contains("tm"));
  EXPECT_EQ(boost::json::parse(stored.at("tm").as_string()), (boost::json::object{{"traceparent", sample}}));
  auto back = job_options::from_stored(stored);
  auto read = trace_parent_of(back);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->traceparent(), sample);
}

TEST(trace_context, reads_metadata_written_by_node_with_tracestate_and_ignores_garbage) {
  job_options o;
  constexpr const char* from_node =
      R"({"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"k=v"})";
  o.extra["telemetry"] = boost::json::object{{"metadata", from_node}};
  EXPECT_TRUE(trace_parent_of(o));
  o.extra["telemetry"] = boost::json::object{{"metadata", "not json"}};
  EXPECT_FALSE(trace_parent_of(o));
  EXPECT_FALSE(trace_parent_of(job_options{}));
}

}  // namespace
}  // namespace drover
