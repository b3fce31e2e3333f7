// admin_api.hpp - the dashboard page and its admin API: /dashboard and /api/admin/...
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <drover/queue.hpp>
#include <drover_app/queue_discovery.hpp>
#include <drover_app/single_flight.hpp>

#include "api/routing/route_table.hpp"
#include "httpd/http_metrics.hpp"
#include "httpd/http_types.hpp"

namespace drover::api {

class gatekeeper;

// Serves the dashboard and the JSON API it reads and acts through, for every queue under
// the prefix (discovered in Redis, not configured). Mounted by `drover api` and run alone
// by `drover dashboard`.
//
// Access: GET /dashboard and its assets are a page without data (open routes); every
// /api/admin call is an operator route (the gatekeeper asks for dashboard credentials, and
// for actions the admin role and a same-site request). Without configured credentials
// the page says how to configure them and the API answers 401.
//
// The overview (GET /api/admin/queues, and the stream's `counts`) has a row per queue
// (drover_app/queue_overview.hpp, with `deadLetter`); a sharded queue is a logical row
// with its shards' sums and `shards`, followed by its shards' rows (`shardOf`). A queue
// action (pause, resume, retry-failed, ...) on a sharded queue's name acts on every shard;
// the other routes take a real queue's name, a shard's.
//
// Live updates: GET /api/admin/events[?queue=<name>] is a server-sent event stream taking
// over its connection: `counts` (the overview) every second, and `job` (the queue's events,
// as QueueEvents reads them) as they happen.
//
// Thread safety: one executor, as queue.
class admin_api {
 public:
  // `gate` must outlive this object; `discovery` finds the queues under opts.prefix (shared
  // with the app's metrics).
  admin_api(boost::asio::any_io_executor ex, queue_options opts, gatekeeper& gate,
            std::shared_ptr<app::queue_discovery> discovery);
  ~admin_api();

  // Adds the page and the admin API's routes to `table`; the handlers keep `this`.
  void add_routes(route_table& table);
  // Whether the request is the event stream (served by stream_events, not the table).
  static bool streams(const request& req);
  // Runs the event stream until the client goes away or close(); admits the caller
  // through the gatekeeper first, its failed logins counted against `client_address` (the
  // address the routes see: behind a trusted proxy, the one it forwards for).
  boost::asio::awaitable<void> stream_events(boost::beast::tcp_stream stream, request req, std::string client_address);
  // The event streams are counted in `m` when they end, as the routes are (the streams
  // bypass the route table): a refused login there was in no series.
  void count_streams_in(httpd::http_metrics& m) { stream_stats_ = &m; }
  void close();

  // How long a queue action (pause, drain, clean, ...) waits for Redis: longer than a read,
  // since BullMQ's drain and clean run as long scripts on a large queue. Within nginx's
  // default proxy_read_timeout of 60 s.
  static constexpr std::chrono::milliseconds action_timeout{50000};

  struct routes;  // admin_api.cpp

 private:
  // The queue `name`, opened once and kept. A request holds the pointer while it uses it,
  // so that making room for other names never closes a queue under a request.
  std::shared_ptr<queue> queue_for(const std::string& name);
  // The overview, from a cache of under a second; one read at a time, shared by every
  // caller that asks while it runs, unless it began before the last action.
  boost::asio::awaitable<boost::json::array> overview();
  // The overview, and the generation it was read under.
  boost::asio::awaitable<std::pair<boost::json::array, std::uint64_t>> read_overview();
  // After an action: the next overview is read again, and shows it.
  void overview_changed();
  // The queues a queue action on `name` acts on: the shards of the sharded queue `name`
  // when no plain queue has that name, else `name` itself.
  boost::asio::awaitable<std::vector<std::string>> action_targets(const std::string& name);

  boost::asio::any_io_executor ex_;
  queue_options opts_;
  queue_options action_opts_;  // opts_ with action_timeout
  gatekeeper& gate_;
  std::shared_ptr<app::queue_discovery> discovery_;
  std::map<std::string, std::shared_ptr<queue>> queues_;
  std::size_t discovered_queues_ = 0;  // how many queues the last overview found
  boost::json::array overview_cache_;
  std::chrono::steady_clock::time_point overview_at_{};
  std::uint64_t overview_generation_ = 0;  // actions so far
  app::single_flight<std::pair<boost::json::array, std::uint64_t>> overview_flight_;
  httpd::http_metrics* stream_stats_ = nullptr;
  bool closed_ = false;
};

}  // namespace drover::api
