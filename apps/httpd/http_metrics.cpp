// http_metrics.cpp - request counts, durations and the slow-request log.
#include "httpd/http_metrics.hpp"

#include <spdlog/spdlog.h>

namespace drover::httpd {

namespace m = app::metrics;

http_metrics::http_metrics(m::registry& r, std::chrono::milliseconds slow)
    : requests_(r.add_counter("drover_http_requests_total",
                              "HTTP requests answered, by method, route pattern and status.",
                              {"method", "route", "status"})),
      durations_(r.add_histogram("drover_http_request_duration_seconds",
                                 "Time from a request's arrival to its response, by method, route pattern and status.",
                                 {"method", "route", "status"}, m::duration_buckets())),
      slow_(slow) {}

std::string http_metrics::method_label(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::post:
    case http::verb::put:
    case http::verb::delete_:
    case http::verb::patch:
    case http::verb::options:
      return std::string(http::to_string(method));
    default:
      return "other";
  }
}

void http_metrics::observe(http::verb method, std::string_view route, unsigned status,
                           std::chrono::steady_clock::duration took, bool held_open) {
  const auto seconds = std::chrono::duration<double>(took).count();
  const m::label_values labels{method_label(method), std::string(route), std::to_string(status)};
  requests_.with(labels).inc();
  durations_.with(labels).observe(seconds);
  if (took > slow_ && !held_open) {
    slow_log_.warn("http: slow request: {} {} answered {} after {:.3f} s", labels[0], route, status, seconds);
  }
}

response metrics_response(const request& req, const m::registry& r) {
  response res{http::status::ok, req.version()};
  res.set(http::field::content_type, m::registry::content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = r.expose();
  res.prepare_payload();
  return res;
}

}  // namespace drover::httpd
