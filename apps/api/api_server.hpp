// api_server.hpp - the API app: HTTP routes, Socket.IO, the queue and the database together.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <drover/queue.hpp>
#include <drover/redis_client.hpp>
#include <drover_app/app_queue.hpp>
#include <drover_app/connectivity_monitor.hpp>
#include <drover_app/queue_discovery.hpp>
#include <drover_app/readiness_queues.hpp>
#include <drover_app/db/database.hpp>
#include <drover_app/metrics/queue_collector.hpp>
#include <drover_app/metrics/registry.hpp>

#include "api/api_config.hpp"
#include "api/user_backlog.hpp"
#include "api/user_reads.hpp"
#include "httpd/http_metrics.hpp"
#include "httpd/http_server.hpp"
#include "httpd/http_types.hpp"

namespace drover::api {

using httpd::request;
using httpd::response;
namespace http = httpd::http;

namespace socketio {
class server;
}
class job_event_relay;
class admin_api;
class gatekeeper;
class router;
class route_table;
struct api_context;
class send_batches;
class room_access;

// Lifecycle: the constructor checks the settings (throws drover::error(invalid_argument)
// for unsafe or unusable ones: see api_config::check_safe and AUTH_MODE); start() opens
// the database (migrating it), listens, and starts relaying job events; stop() closes
// the listener and the Socket.IO sessions, lets the requests being answered finish (up
// to `grace`: their queues and database stay open meanwhile), then closes the rest.
// Thread safety: one executor (a single-threaded io_context); database calls run on
// a private thread pool.
class api_server {
 public:
  api_server(boost::asio::any_io_executor ex, api_config cfg);
  ~api_server();

  void start();
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  std::uint16_t port() const;
  // The port of the metrics listener, 0 when /metrics is served on port().
  std::uint16_t metrics_port() const;
  // job_logs updates not yet written (the relay keeps them while the database is away).
  std::size_t pending_logs() const;

  // Answers one request through the route table (also used directly by tests).
  boost::asio::awaitable<response> handle(const request& req, std::string_view client_address);

 private:
  void stop_listening();
  void close_connections();
  void add_own_routes(route_table& table);
  // The client's address for a request from `peer`, as the routes and the hooks that take
  // a connection over (WebSocket, event stream) all see it: behind a trusted proxy, the
  // address it forwards for.
  std::string client_of(std::string_view peer, const request& req) const;
  // `open`: whether this listener serves /metrics (metrics_open_without_token, or a
  // METRICS_TOKEN the gatekeeper has checked); otherwise 403 saying what to set.
  boost::asio::awaitable<response> metrics_page(const request& req, bool open);
  boost::asio::awaitable<response> alerts(const request& req);

  boost::asio::any_io_executor ex_;
  api_config cfg_;
  app::metrics::registry registry_;
  httpd::http_metrics http_stats_{registry_};
  app::metrics::family<app::metrics::gauge>& socketio_connections_;
  app::connectivity_monitor connectivity_;
  // The queues under the prefix, for the metrics and the dashboard.
  std::shared_ptr<app::queue_discovery> discovery_;
  app::metrics::queue_collector queue_stats_;
  redis_client alert_reader_;  // GET /api/alerts
  boost::asio::thread_pool db_pool_;
  std::unique_ptr<app::database> db_;
  app::app_queue ai_queue_;
  app::app_queue webhook_queue_;  // read only: deliveries and their attempts
  app::app_queue documents_queue_;
  app::readiness_queues readiness_queues_;  // /readyz's: connections of their own (api_context)
  user_backlog backlog_;                    // before the relays, which tell it the jobs' ends
  user_reads reads_;
  std::unique_ptr<gatekeeper> gate_;
  std::unique_ptr<socketio::server> sio_;
  std::vector<std::unique_ptr<job_event_relay>> relays_;  // ai-processing's, one per shard
  std::unique_ptr<admin_api> admin_;
  std::unique_ptr<send_batches> send_batches_;
  std::unique_ptr<api_context> context_;
  std::unique_ptr<room_access> rooms_;
  std::unique_ptr<router> router_;
  std::unique_ptr<router> metrics_router_;
  std::unique_ptr<httpd::http_server> http_;
  std::unique_ptr<httpd::http_server> metrics_http_;
};

}  // namespace drover::api
