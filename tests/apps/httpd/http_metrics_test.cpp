// http_metrics_test.cpp - request series by route pattern, and the slow-request log line.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "httpd/http_metrics.hpp"

using namespace std::chrono_literals;
namespace http = drover::httpd::http;

TEST(HttpMetrics, CountsAndTimesByMethodRouteAndStatus) {
  drover::app::metrics::registry r;
  drover::httpd::http_metrics m(r);
  m.observe(http::verb::get, "/api/chat/job/:jobId", 200, 20ms);
  m.observe(http::verb::get, "/api/chat/job/:jobId", 200, 30ms);
  m.observe(http::verb::propfind, "unmatched", 404, 1ms);
  auto text = r.expose();
  EXPECT_NE(text.find("drover_http_requests_total{method=\"GET\",route=\"/api/chat/job/:jobId\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("drover_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("drover_http_request_duration_seconds_count{method=\"GET\",route=\"/api/chat/job/:jobId\","
                      "status=\"200\"} 2\n"),
            std::string::npos)
      << text;
}

TEST(HttpMetrics, LogsRequestsSlowerThanTheThreshold) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  drover::app::metrics::registry r;
  drover::httpd::http_metrics m(r, 1000ms);
  m.observe(http::verb::post, "/api/chat/send", 200, 999ms);
  m.observe(http::verb::post, "/api/chat/send", 200, 1500ms);
  spdlog::set_default_logger(previous);
  auto lines = out.str();
  EXPECT_EQ(lines.find("999"), std::string::npos) << lines;
  EXPECT_NE(lines.find("http: slow request: POST /api/chat/send answered 200 after 1.500 s"), std::string::npos)
      << lines;
}
