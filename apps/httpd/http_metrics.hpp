// http_metrics.hpp - counts and times the requests an app answers, by route pattern, and
// logs the slow ones.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <drover_app/logging/log_throttle.hpp>
#include <drover_app/metrics/registry.hpp>

#include "httpd/http_types.hpp"

namespace drover::httpd {

// Series (labels method, route, status):
//   drover_http_requests_total                counter
//   drover_http_request_duration_seconds      histogram
// `route` is the pattern that matched (/api/chat/job/:jobId), never the raw path: raw
// paths would make one series per job id, and may carry tokens.
// Thread safety: any thread.
class http_metrics {
 public:
  // Registers the series in `r`; requests slower than `slow` are logged (warn), at most
  // one line per 5 s saying how many others there were (an outage slows every probe).
  explicit http_metrics(app::metrics::registry& r, std::chrono::milliseconds slow = std::chrono::seconds(1));

  // `held_open`: the route answers when it has something to say (a long poll), so its
  // time is measured but never logged as slow.
  void observe(http::verb method, std::string_view route, unsigned status, std::chrono::steady_clock::duration took,
               bool held_open = false);

  // The label of a method: its name for the standard ones, "other" for the rest (a
  // client may send any token there).
  static std::string method_label(http::verb method);

 private:
  app::metrics::family<app::metrics::counter>& requests_;
  app::metrics::family<app::metrics::histogram>& durations_;
  std::chrono::milliseconds slow_;
  app::log_throttle slow_log_{std::chrono::seconds(5)};
};

// The 200 reply of GET /metrics: r.expose() as the text exposition format.
response metrics_response(const request& req, const app::metrics::registry& r);

}  // namespace drover::httpd
