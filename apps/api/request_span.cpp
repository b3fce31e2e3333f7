// request_span.cpp - see request_span.hpp.
#include "api/request_span.hpp"

namespace drover::api {

span start_request_span(const httpd::request& req, const std::string& route) {
  // The queues read the same variables, so the request's spans and its jobs' spans go
  // to one collector through one exporter.
  static const tracing_options opts = tracing_options::from_env();
  auto t = tracer::of(opts);
  if (!t) return {};
  std::optional<trace_context> parent;
  if (auto it = req.find("traceparent"); it != req.end()) parent = trace_context::parse(it->value());
  auto s = t->start(route, span_kind::server, parent);
  s.set_attribute("http.request.method", std::string(req.method_string()));
  s.set_attribute("http.route", route.substr(route.find(' ') + 1));
  return s;
}

}  // namespace drover::api
