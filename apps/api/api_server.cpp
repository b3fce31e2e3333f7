// api_server.cpp - wiring of the API app: its settings, services, route table and listeners.
#include "api/api_server.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover_app/address_key.hpp>
#include <drover_app/alert_state.hpp>
#include <drover_app/fast_fail.hpp>
#include <drover_app/logging/redact.hpp>
#include <drover_app/queue_shards.hpp>

#include "api/admin_api.hpp"
#include "api/api_context.hpp"
#include "api/chat_routes.hpp"
#include "api/document_routes.hpp"
#include "api/job_event_relay.hpp"
#include "api/rate_limiter.hpp"
#include "api/room_access.hpp"
#include "api/send_batches.hpp"
#include "api/routing/gatekeeper.hpp"
#include "api/routing/router.hpp"
#include "api/routing/static_asset.hpp"
#include "api/socketio/auth_token.hpp"
#include "api/socketio/server.hpp"
#include "api/webhook_routes.hpp"
#include "httpd/bearer_token.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

using httpd::json_response;

namespace {

// How many of the newest messages and job_logs rows are read for the job ids the API
// keeps Redis's counter above: the highest id is among the newest rows, whatever order
// concurrent sends were stored in; each shard's, for a sharded queue, when the rows read
// cover every shard many times over (sends go round the shards in turn).
std::size_t recent_job_ids_read(std::size_t shards) { return std::max<std::size_t>(1000, 32 * shards); }

// The host PUBLIC_URL names, unless it is one served anyway (an IP address, localhost).
std::optional<std::string> public_host(const std::string& public_url) {
  if (public_url.empty()) return std::nullopt;
  auto u = boost::urls::parse_absolute_uri(public_url);
  if (!u || u->host_type() != boost::urls::host_type::name) return std::nullopt;
  return std::string(u->host());
}

// Every X-Forwarded-For line, joined: one list (RFC 9110 section 5.3). A proxy that adds
// a line of its own, rather than appending to the client's, wrote the last one.
std::string forwarded_for(const request& req) {
  std::string out;
  for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!out.empty()) out += ", ";
    out += std::string_view(it->value().data(), it->value().size());
  }
  return out;
}

// The API answers callers within about a second even when Redis is away.
queue_options queue_options_for(const api_config& cfg) { return queue_options{cfg.prefix, app::fast_fail(cfg.redis)}; }

// The settings, once the queues' shards are known to suit the prefix (on a cluster): the
// check's error says what to set, where the queue's own would only say what is wrong.
api_config checked(api_config cfg) {
  cfg.shards.check_prefix(cfg.prefix, cfg.redis);
  return cfg;
}

// The rate limiter's scope. Its script touches two keys, so on a cluster they need one
// hash tag: an untagged prefix (sharded queues) gets braces around it; a tagged one, or
// any prefix on a single Redis, is kept as it was.
std::string rate_scope(const api_config& cfg) {
  if (cfg.redis.cluster.seeds.empty() || app::has_hash_tag(cfg.prefix)) return cfg.prefix;
  return "{" + cfg.prefix + "}";
}

std::unique_ptr<gatekeeper> make_gatekeeper(net::any_io_executor ex, const api_config& cfg) {
  cfg.check_safe();
  std::shared_ptr<const auth::jwt_verifier> verifier;
  if (cfg.auth == auth_mode::jwt) {
    try {
      verifier = std::make_shared<const auth::jwt_verifier>(cfg.jwt);
    } catch (const std::invalid_argument& e) {
      // The verifier's reason already names the settings; only the way out is added.
      throw error(errc::invalid_argument,
                  fmt::format("AUTH_MODE=jwt (the default) cannot verify tokens: {}; or AUTH_MODE=none for development",
                              e.what()));
    }
    // An identity provider's key signs tokens for every application it serves: without an
    // audience, one issued for another of them is accepted here.
    if (cfg.jwt.audience.empty() && cfg.jwt.hs256_secret.empty()) {
      spdlog::warn(
          "auth: AUTH_JWT_AUDIENCE is not set, so tokens the identity provider issued for other applications are "
          "accepted too; set it to this API's audience");
    }
  }
  auto limiter = std::make_unique<rate_limiter>(ex, app::fast_fail(cfg.redis), cfg.rates, rate_scope(cfg));
  return std::make_unique<gatekeeper>(cfg.auth, std::move(verifier), cfg.dashboard, cfg.metrics_token,
                                      std::move(limiter));
}

// METRICS_PORT equal to PORT on an overlapping address failed the start as "address in
// use", blaming another process (a configuration review); on distinct addresses it works.
// `api` and `metrics` are BIND's and METRICS_BIND's addresses, read already.
void refuse_metrics_on_the_api_port(const api_config& c, const net::ip::address& api, const net::ip::address& metrics) {
  if (c.metrics_port == 0 || c.metrics_port != c.port) return;
  if (api != metrics && !api.is_unspecified() && !metrics.is_unspecified()) return;
  throw error(errc::invalid_argument,
              fmt::format("METRICS_PORT ({}) is the API's own port on {} (PORT or --port): give /metrics a port of "
                          "its own, or unset METRICS_PORT to serve /metrics on the API's port",
                          c.metrics_port, c.bind));
}

}  // namespace

api_server::api_server(net::any_io_executor ex, api_config cfg)
    : ex_(ex),
      cfg_(checked(std::move(cfg))),
      socketio_connections_(registry_.add_gauge("drover_socketio_connections",
                                                "Socket.IO clients connected now (WebSocket or long-polling).")),
      connectivity_(ex, registry_, cfg_.redis, ""),
      discovery_(std::make_shared<app::queue_discovery>(ex, app::fast_fail(cfg_.redis), cfg_.prefix)),
      // Every queue under the prefix, with BullMQ's totals: the API sees all the workers.
      queue_stats_(
          ex, registry_, queue_options_for(cfg_), [discovery = discovery_]() { return discovery->names(); }, true,
          cfg_.shards),
      alert_reader_(ex, app::fast_fail(cfg_.redis)),
      db_pool_(cfg_.db_threads),
      ai_queue_(ex, "ai-processing", cfg_.shards.ai, queue_options_for(cfg_)),
      webhook_queue_(ex, "webhook-delivery", cfg_.shards.webhooks, queue_options_for(cfg_)),
      documents_queue_(ex, "document-processing", cfg_.shards.documents, queue_options_for(cfg_)),
      readiness_queues_(ex, {{"ai-processing", cfg_.shards.ai}, {"document-processing", cfg_.shards.documents}},
                        queue_options_for(cfg_)),
      backlog_(cfg_.limits.max_unanswered_sends_per_user),
      gate_(make_gatekeeper(ex, cfg_)),
      admin_(std::make_unique<admin_api>(ex, queue_options_for(cfg_), *gate_, discovery_)) {}

api_server::~api_server() {
  stop_listening();
  close_connections();
  db_pool_.join();
}

void api_server::start() {
  if (cfg_.auth == auth_mode::none) {
    spdlog::warn(
        "AUTH_MODE=none: no authentication, every caller is the development user and sees everything; "
        "for development only");
  }
  // A host name for an address fails the start before the database is opened or migrated.
  const auto api_address = httpd::listen_address(cfg_.bind, "BIND");
  const auto metrics_address = httpd::listen_address(cfg_.metrics_bind, "METRICS_BIND");
  refuse_metrics_on_the_api_port(cfg_, api_address, metrics_address);
  db_ = app::open_database(cfg_.database_url);
  app::migrate_and_say(*db_, cfg_.database_url);

  // BullMQ's id counter starts again at 1 when Redis loses its data, and a message's
  // recorded job id would then name a later message's job: the ids this API adds stay
  // above those recorded, those it gives and those the relays see others add.
  ai_queue_.keep_ids_above(db_->recent_job_ids("ai-processing", recent_job_ids_read(cfg_.shards.ai)));

  socketio::options so;
  cfg_.limits.apply_to(so);
  so.unknown_event_refusal = "subscribe-failed";  // as room_access refuses the others
  if (gate_->mode() == auth_mode::jwt) {
    so.authenticate = [gate = gate_.get()](const json::value& auth, std::string_view authorization) {
      auto admitted = gate->admit_socket(auth, authorization);
      if (!admitted.who) return socketio::auth_result::refuse(admitted.refusal);
      // The same token asked again: a key removed from the JWKS file since ends the
      // session within seconds, not at the token's expiry (a rotation review). The token
      // alone is kept (8 KiB at most, once verified), not the CONNECT payload it came in,
      // which may be up to the payload limit for each session.
      auto again = [gate, token = socketio::bearer_token(auth, authorization).value_or("")] {
        const json::value kept = json::object{{"token", token}};
        return gate->admit_socket(kept, "").who.has_value();
      };
      return socketio::auth_result::accept(admitted.who->user, admitted.who->valid_until, std::move(again));
    };
  }
  sio_ = std::make_unique<socketio::server>(ex_, so);

  queue_events_options eo;
  eo.prefix = cfg_.prefix;
  eo.redis = cfg_.redis;
  // One relay per shard of ai-processing (one for a plain queue), each on its own stream.
  for (std::size_t s = 0; s < std::max<std::size_t>(1, cfg_.shards.ai); ++s) {
    app::queue_shard shard{"ai-processing", cfg_.shards.ai, s};
    relays_.push_back(std::make_unique<job_event_relay>(ex_, std::move(shard), eo, sio_.get(), db_.get(), db_pool_));
    relays_.back()->on_job_ended([this](const std::string& id) { backlog_.ended(id); });
    relays_.back()->on_job_added([this](const std::string& id) { ai_queue_.keep_ids_above({id}); });
    relays_.back()->start();
  }
  connectivity_.watch_database(*db_, db_pool_);
  connectivity_.start();

  send_batches_ = std::make_unique<send_batches>(ex_, *db_, db_pool_, ai_queue_);
  context_ = std::unique_ptr<api_context>(new api_context{ex_, cfg_, *db_, db_pool_, ai_queue_, webhook_queue_,
                                                          documents_queue_, *sio_, *gate_, *send_batches_, backlog_,
                                                          reads_, readiness_queues_});
  context_->relay_settled = [this](const std::string& app_id) {
    for (const auto& r : relays_) {
      if (r->follows(app_id)) return r->settled();
    }
    return false;
  };
  rooms_ = std::make_unique<room_access>(*context_);

  route_table table;
  add_own_routes(table);
  add_chat_routes(table, *context_);
  add_document_routes(table, *context_);
  add_webhook_routes(table, *context_);
  admin_->add_routes(table);
  admin_->count_streams_in(http_stats_);
  router_ = std::make_unique<router>(std::move(table), *gate_, &http_stats_);

  httpd::server_options ho;
  ho.bind = cfg_.bind;
  ho.port = cfg_.port;
  ho.body_limit = cfg_.body_limit;  // the upload route says its own (route::upload_limit)
  ho.read_timeout = cfg_.read_timeout;
  ho.idle_timeout = cfg_.idle_timeout;
  // Without authentication any site's page could read the API through a name it points
  // at 127.0.0.1 (DNS rebinding; a browser review read answers and sent messages).
  ho.local_hosts_only = cfg_.auth == auth_mode::none;
  if (auto host = public_host(cfg_.public_url)) ho.also_served_hosts.push_back(*host);
  ho.metrics = &http_stats_;
  cfg_.limits.apply_to(ho, upload_body_limit(cfg_.document_limit));
  auto* sio = sio_.get();
  http_ = std::make_unique<httpd::http_server>(
      ex_, ho,
      [this](const request& header, std::string peer) { return router_->plan(header, client_of(peer, header)); },
      [](const request& req) { return socketio::server::handles(req.target()); },
      [this, sio](boost::beast::tcp_stream stream, request req) {
        // Counted as the per-address limits count it, for the per-address session cap.
        auto client = app::address_key(client_of(httpd::peer_address(stream), req));
        return sio->run_websocket(std::move(stream), std::move(req), std::move(client));
      });
  auto* admin = admin_.get();
  http_->set_stream_hook([](const request& req) { return admin_api::streams(req); },
                         [this, admin](boost::beast::tcp_stream stream, request req) {
                           // Its login throttle counts the client behind a trusted proxy,
                           // not the proxy that every client shares.
                           auto client = client_of(httpd::peer_address(stream), req);
                           return admin->stream_events(std::move(stream), std::move(req), std::move(client));
                         });
  http_->start();

  if (cfg_.metrics_port) {
    // /metrics alone, on an address operators choose (often a private interface).
    route_table metrics_table;
    const bool open = !cfg_.metrics_token.empty() ||
                      httpd::metrics_open_without_token(cfg_.auth == auth_mode::none, cfg_.metrics_bind);
    if (!open) spdlog::warn("metrics: /metrics answers 403 on {}: {}", cfg_.metrics_bind, httpd::metrics_token_missing);
    metrics_table.add(http::verb::get, "/metrics", route_access::metrics,
                      [this, open](route_request& r) { return metrics_page(r.req, open); });
    metrics_router_ = std::make_unique<router>(std::move(metrics_table), *gate_, nullptr);
    httpd::server_options mo;
    mo.bind = cfg_.metrics_bind;
    mo.bind_setting = "METRICS_BIND";
    mo.port = cfg_.metrics_port;
    mo.body_limit = 4096;
    mo.local_hosts_only = cfg_.auth == auth_mode::none;
    mo.also_served_hosts = ho.also_served_hosts;
    auto* mr = metrics_router_.get();
    metrics_http_ = std::make_unique<httpd::http_server>(
        ex_, mo, [mr](const request& header, std::string client) { return mr->plan(header, std::move(client)); });
    metrics_http_->start();
    spdlog::info("metrics: http://{}:{}/metrics", cfg_.metrics_bind, metrics_http_->port());
  }
  if (!cfg_.dashboard.configured()) {
    spdlog::info("dashboard: off (set DASHBOARD_TOKEN or DASHBOARD_USERS to open /dashboard)");
  }
}

std::string api_server::client_of(std::string_view peer, const request& req) const {
  return cfg_.proxies.client_of(peer, forwarded_for(req));
}

// The API's own routes: the chat page, health, metrics, alerts, and Socket.IO's polling.

void api_server::add_own_routes(route_table& table) {
  using v = http::verb;
  table.add(v::get, "/", route_access::open,
            [](route_request& r) -> net::awaitable<response> { co_return static_asset(r.req, "index.html"); });
  // The chat page's assets. The dashboard's are the dashboard's own routes', under its
  // stricter policy and only when it is configured: here they were served under the
  // chat page's (an HTTP review).
  table.add(v::get, "/assets/:name", route_access::open, [](route_request& r) -> net::awaitable<response> {
    const auto& name = r.param("name");
    if (name.starts_with("dashboard.")) throw http_error(http::status::not_found, "Not found");
    co_return static_asset(r.req, name);
  });
  table.add(v::get, "/healthz", route_access::open, [](route_request& r) -> net::awaitable<response> {
    json::object ok;
    ok["status"] = "ok";
    co_return json_response(r.req, http::status::ok, ok);
  });
  if (!cfg_.metrics_port) {
    // The public port: only the development mode serves it without a token.
    const bool open = !cfg_.metrics_token.empty() || cfg_.auth == auth_mode::none;
    if (!open) spdlog::warn("metrics: /metrics answers 403: {}", httpd::metrics_token_missing);
    table.add(v::get, "/metrics", route_access::metrics,
              [this, open](route_request& r) { return metrics_page(r.req, open); });
  }
  // Incidents name queues and counts: operators only.
  table.add(v::get, "/api/alerts", route_access::operator_read, [this](route_request& r) { return alerts(r.req); });
  // Socket.IO checks its own CONNECT packets (gatekeeper::admit_socket).
  for (auto method : {v::get, v::post, v::options}) {
    auto& polling =
        table.add(method, "/socket.io/", route_access::open, [this](route_request& r) -> net::awaitable<response> {
          request copy = r.req;
          std::string client = app::address_key(r.client_address);
          co_return co_await sio_->handle_polling(std::move(copy), std::move(client));
        });
    polling.held_open = method == v::get;
  }
}

net::awaitable<void> api_server::stop(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  stop_listening();
  // A send being answered still reaches Redis: closing its queue under it would answer
  // 503 for a message already stored.
  if (http_) {
    auto finishing = http_->finish_answers(deadline);
    co_await std::move(finishing);
  }
  close_connections();
}

void api_server::stop_listening() {
  if (http_) http_->stop();
  if (metrics_http_) metrics_http_->stop();
  // Long-polls end here, so that they do not hold the wait for the answers.
  if (sio_) sio_->close_all();
}

void api_server::close_connections() {
  connectivity_.stop();
  queue_stats_.close();
  alert_reader_.close();
  for (auto& r : relays_) r->stop();
  if (admin_) admin_->close();
  if (gate_) gate_->close();
  ai_queue_.close();
  webhook_queue_.close();
  documents_queue_.close();
  readiness_queues_.close();
}

std::uint16_t api_server::port() const { return http_ ? http_->port() : 0; }

std::uint16_t api_server::metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }

std::size_t api_server::pending_logs() const {
  std::size_t n = 0;
  for (const auto& r : relays_) n += r->buffered();
  return n;
}

net::awaitable<response> api_server::handle(const request& req, std::string_view client_address) {
  co_return co_await router_->handle(req, client_address);
}

net::awaitable<response> api_server::metrics_page(const request& req, bool open) {
  if (!open) co_return httpd::error_response(req, http::status::forbidden, std::string(httpd::metrics_token_missing));
  co_await connectivity_.probe();
  co_await queue_stats_.refresh();
  socketio_connections_.with({}).set(sio_ ? static_cast<double>(sio_->connection_count()) : 0);
  co_return httpd::metrics_response(req, registry_);
}

// The open incidents as the Workers app's alert evaluator stored them (alert_state.hpp);
// no incidents and "evaluatedAt": null when no evaluator has written any.
net::awaitable<response> api_server::alerts(const request& req) {
  auto key = app::alert_state_key(cfg_.prefix);
  auto text = co_await alert_reader_.get(key);
  json::object out;
  out["incidents"] = json::array();
  out["evaluatedAt"] = nullptr;
  // How many rules the evaluator holds: 0 when none has run in the last minute (no
  // ALERT_RULES, or no Workers app), so that the field docs/alerts.md promises is always there.
  out["rules"] = 0;
  if (text) {
    boost::system::error_code ec;
    auto doc = drover::parse_json(*text, ec);
    if (!ec && doc.is_object()) {
      const auto& o = doc.get_object();
      if (auto* list = o.if_contains("incidents"); list && list->is_array()) out["incidents"] = *list;
      if (auto* at = o.if_contains("updatedAt")) out["evaluatedAt"] = *at;
      if (auto* rules = o.if_contains("rules"); rules && rules->is_number()) out["rules"] = *rules;
    }
  }
  co_return json_response(req, http::status::ok, out);
}

}  // namespace drover::api
