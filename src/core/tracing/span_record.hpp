// span_record.hpp - one ended (or ending) span as the exporter keeps it until it is sent.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drover/tracing.hpp"

namespace drover::detail {

struct span_record {
  trace_context ctx;
  std::optional<std::array<std::uint8_t, 8>> parent_span_id;  // none: a trace's root
  std::string name;
  span_kind kind = span_kind::internal;
  std::uint64_t start_ns = 0, end_ns = 0;  // Unix epoch, nanoseconds
  std::vector<std::pair<std::string, attribute_value>> attributes;
  bool failed = false;  // OTLP status ERROR, with status_message
  std::string status_message;
};

// Nanoseconds since the Unix epoch, as OTLP stamps spans.
std::uint64_t now_unix_ns();

// A fresh random id (never all zeros, which W3C reserves for "invalid").
std::array<std::uint8_t, 16> random_trace_id();
std::array<std::uint8_t, 8> random_span_id();

}  // namespace drover::detail
