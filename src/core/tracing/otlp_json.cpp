// otlp_json.cpp - see otlp_json.hpp.
#include "core/tracing/otlp_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string_view>
#include <type_traits>
#include <drover/json.hpp>

namespace json = boost::json;

namespace drover::detail {

namespace {

// OTLP's AnyValue; 64-bit integers travel as strings in its JSON mapping.
json::object any_value(const attribute_value& v) {
  return std::visit(
      [](const auto& x) -> json::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return {{"stringValue", x}};
        if constexpr (std::is_same_v<T, std::int64_t>) return {{"intValue", std::to_string(x)}};
        if constexpr (std::is_same_v<T, double>) return {{"doubleValue", x}};
        if constexpr (std::is_same_v<T, bool>) return {{"boolValue", x}};
      },
      v);
}

json::object key_value(std::string_view key, const attribute_value& v) {
  return {{"key", key}, {"value", any_value(v)}};
}

json::object span_json(const span_record& s) {
  json::object o;
  o["traceId"] = s.ctx.trace_id_hex();
  o["spanId"] = s.ctx.span_id_hex();
  if (s.parent_span_id) o["parentSpanId"] = trace_context{{}, *s.parent_span_id}.span_id_hex();
  o["name"] = s.name;
  o["kind"] = static_cast<int>(s.kind);
  o["startTimeUnixNano"] = std::to_string(s.start_ns);
  o["endTimeUnixNano"] = std::to_string(s.end_ns);
  json::array attrs;
  for (const auto& [k, v] : s.attributes) attrs.push_back(key_value(k, v));
  o["attributes"] = std::move(attrs);
  json::object status;
  if (s.failed) {
    status["code"] = 2;  // STATUS_CODE_ERROR
    status["message"] = s.status_message;
  }
  o["status"] = std::move(status);
  return o;
}

}  // namespace

std::string otlp_traces_json(const std::string& service, const std::vector<span_record>& spans) {
  json::array out_spans;
  for (const auto& s : spans) out_spans.push_back(span_json(s));
  json::object scope{{"name", "drover"}};
  json::object scope_spans{{"scope", std::move(scope)}, {"spans", std::move(out_spans)}};
  json::object resource{{"attributes", json::array{key_value("service.name", std::string(service))}}};
  json::object resource_spans{{"resource", std::move(resource)}, {"scopeSpans", json::array{std::move(scope_spans)}}};
  return drover::serialize_json(json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

}  // namespace drover::detail
