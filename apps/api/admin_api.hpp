// admin_api.hpp - the dashboard page and its admin API: /dashboard and /api/admin/...
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/json/array.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <drover/queue.hpp>

#include "api/admin_access.hpp"
#include "httpd/http_types.hpp"

namespace drover::api {

using httpd::request;
using httpd::response;

// Serves the dashboard and the JSON API it reads and acts through, for every queue under
// the prefix (discovered in Redis, not configured). Mounted by `drover api` and run alone
// by `drover dashboard`.
//
// Access: GET /dashboard and its assets are a page without data; every /api/admin call
// needs an Authorization header admin_access accepts, and every action (POST/DELETE) the
// admin role and a same-site request (cross_site_refusal). Without configured credentials
// everything answers 401 with how to configure them.
//
// Live updates: GET /api/admin/events[?queue=<name>] is a server-sent event stream taking
// over its connection: `counts` (the overview) every second, and `job` (the queue's events,
// as QueueEvents reads them) as they happen.
//
// Thread safety: one executor, as queue.
class admin_api {
 public:
  admin_api(boost::asio::any_io_executor ex, queue_options opts, admin_access access);
  ~admin_api();

  // Whether a request target belongs here ("/dashboard..." or "/api/admin/...").
  static bool handles(std::string_view target);
  // Whether the request is the event stream (served by stream_events, not handle).
  static bool streams(const request& req);

  // Answers one request; errors become JSON (or, for the page, HTML) replies.
  boost::asio::awaitable<response> handle(const request& req);
  // Runs the event stream until the client goes away or close().
  boost::asio::awaitable<void> stream_events(boost::beast::tcp_stream stream, request req);
  void close();
  // Throws http_error 401 unless the request carries dashboard credentials (any role):
  // for the operator routes served outside /api/admin, such as /api/alerts.
  void require_reader(const request& req) const;

  struct routes;  // admin_api.cpp

 private:
  queue& queue_for(const std::string& name);
  boost::asio::awaitable<boost::json::array> overview();

  boost::asio::any_io_executor ex_;
  queue_options opts_;
  admin_access access_;
  std::map<std::string, std::unique_ptr<queue>> queues_;
  boost::json::array overview_cache_;
  std::chrono::steady_clock::time_point overview_at_{};
  bool closed_ = false;
};

}  // namespace drover::api
