// request_span.hpp - the server span of an API request, so that the jobs a request adds
// are traced under it (docs/tracing.md). Tracing is on when DROVER_OTLP_ENDPOINT is set.
#pragma once

#include <string>

#include <drover/tracing.hpp>

#include "httpd/http_types.hpp"

namespace drover::api {

// A SERVER span named `route` ("POST /api/chat/send"): a child of the caller's
// `traceparent` header when it sent a valid one, else a new trace. Records nothing when
// tracing is off.
span start_request_span(const httpd::request& req, const std::string& route);

}  // namespace drover::api
