// otlp_json.hpp - spans encoded as an OTLP/HTTP JSON ExportTraceServiceRequest (ids in
// hex, times as decimal strings of nanoseconds, as the OTLP JSON mapping says).
#pragma once

#include <string>
#include <vector>

#include "core/tracing/span_record.hpp"

namespace drover::detail {

// One resourceSpans entry (service.name = service) with one scope ("drover").
std::string otlp_traces_json(const std::string& service, const std::vector<span_record>& spans);

}  // namespace drover::detail
