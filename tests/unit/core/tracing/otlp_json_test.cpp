// otlp_json_test.cpp - the OTLP/HTTP JSON body: ids in hex, times and 64-bit integers as
// strings, the span kind and status as numbers, the service in the resource.
#include "core/tracing/otlp_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace drover::detail {
namespace {

TEST(otlp_json, encodes_spans_as_the_otlp_json_mapping_says) {
  span_record s;
  s.ctx = *trace_context::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  s.parent_span_id = std::array<std::uint8_t, 8>{1, 2, 3, 4, 5, 6, 7, 8};
  s.name = "process q";
  s.kind = span_kind::consumer;
  s.start_ns = 1700000000000000001ull;
  s.end_ns = 1700000000000000002ull;
  s.attributes = {{"s", std::string("v")}, {"i", std::int64_t{42}}, {"b", true}, {"d", 0.5}};
  s.failed = true;
  s.status_message = "boom";
  span_record root = s;
  root.parent_span_id.reset();
  root.failed = false;

  auto doc = boost::json::parse(otlp_traces_json("svc", {s, root}));
  const auto& rs = doc.at("resourceSpans").at(0);
  EXPECT_EQ(rs.at("resource").at("attributes").at(0),
            (boost::json::object{{"key", "service.name"}, {"value", {{"stringValue", "svc"}}}}));
  const auto& spans = rs.at("scopeSpans").at(0).at("spans");
  ASSERT_EQ(spans.as_array().size(), 2u);
  const auto& j = spans.at(0);
  EXPECT_EQ(j.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j.at("spanId"), "00f067aa0ba902b7");
  EXPECT_EQ(j.at("parentSpanId"), "0102030405060708");
  EXPECT_EQ(j.at("kind"), 5);
  EXPECT_EQ(j.at("startTimeUnixNano"), "1700000000000000001");
  EXPECT_EQ(j.at("endTimeUnixNano"), "1700000000000000002");
  EXPECT_EQ(j.at("attributes").at(1).at("value"), (boost::json::object{{"intValue", "42"}}));
  EXPECT_EQ(j.at("attributes").at(2).at("value"), (boost::json::object{{"boolValue", true}}));
  EXPECT_EQ(j.at("status"), (boost::json::object{{"code", 2}, {"message", "boom"}}));
  EXPECT_FALSE(spans.at(1).as_object().contains("parentSpanId"));
  EXPECT_TRUE(spans.at(1).at("status").as_object().empty());
}

}  // namespace
}  // namespace drover::detail
