// api_server.cpp - wiring of the API app and its request router.
#include "api/api_server.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include <drover/discovery.hpp>
#include <drover/error.hpp>
#include <drover_app/alert_state.hpp>
#include <drover_app/logging/redact.hpp>

#include "api/admin_api.hpp"
#include "api/blocking_call.hpp"
#include "api/chat_routes.hpp"
#include "api/document_routes.hpp"
#include "api/error_reply.hpp"
#include "api/webhook_routes.hpp"
#include "api/http_error.hpp"
#include "api/job_event_relay.hpp"
#include "api/path_pattern.hpp"
#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

using httpd::error_response;
using httpd::json_response;

std::optional<std::string_view> web_asset(std::string_view path);  // generated

namespace {

// The API answers callers within about a second even when Redis is away.
redis_options fast_fail(redis_options o) {
  o.connect_timeout = std::chrono::milliseconds(800);
  o.command_timeout = std::chrono::milliseconds(1000);
  return o;
}

queue_options queue_options_for(const api_config& cfg) { return queue_options{cfg.prefix, fast_fail(cfg.redis)}; }

response static_asset(const request& req, std::string_view name, const char* type) {
  auto body = web_asset(name);
  if (!body) return error_response(req, http::status::not_found, "Not found");
  response res{http::status::ok, req.version()};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(req.keep_alive());
  res.body() = std::string(*body);
  res.prepare_payload();
  return res;
}

}  // namespace

api_server::api_server(net::any_io_executor ex, api_config cfg)
    : ex_(ex),
      cfg_(std::move(cfg)),
      socketio_connections_(registry_.add_gauge("drover_socketio_connections",
                                                "Socket.IO clients connected now (WebSocket or long-polling).")),
      connectivity_(ex, registry_, cfg_.redis, ""),
      // Every queue under the prefix, with BullMQ's totals: the API sees all the workers.
      queue_stats_(
          ex, registry_, queue_options_for(cfg_),
          [ex, redis = fast_fail(cfg_.redis), prefix = cfg_.prefix]() { return discover_queues(ex, redis, prefix); },
          true),
      alert_reader_(ex, fast_fail(cfg_.redis)),
      db_pool_(cfg_.db_threads),
      ai_queue_(ex, "ai-processing", queue_options_for(cfg_)),
      webhook_queue_(ex, "webhook-delivery", queue_options_for(cfg_)),
      documents_queue_(ex, "document-processing", queue_options_for(cfg_)),
      admin_(std::make_unique<admin_api>(ex, queue_options_for(cfg_), cfg_.dashboard)) {}

api_server::~api_server() {
  stop();
  db_pool_.join();
}

void api_server::start() {
  if (cfg_.webhook_secret == api_config{}.webhook_secret) {
    spdlog::warn("WEBHOOK_SECRET is the development default: anyone who knows it can forge job-completed webhooks; "
                 "set your own outside development");
  }
  db_ = app::open_database(cfg_.database_url);
  auto applied = db_->migrate();
  if (!applied.empty()) spdlog::info("database: applied {} migration(s)", applied.size());

  socketio::options so;
  sio_ = std::make_unique<socketio::server>(ex_, so);
  auto* sio = sio_.get();
  sio_->on("subscribe-job", [sio](socketio::client_id id, json::array args, auto) {
    if (!args.empty() && args[0].is_string()) sio->join(id, "job:" + std::string(args[0].get_string()));
  });
  sio_->on("unsubscribe-job", [sio](socketio::client_id id, json::array args, auto) {
    if (!args.empty() && args[0].is_string()) sio->leave(id, "job:" + std::string(args[0].get_string()));
  });
  for (const char* name : {"join-conversation", "join"}) {
    sio_->on(name, [sio](socketio::client_id id, json::array args, auto) {
      if (!args.empty() && args[0].is_string()) sio->join(id, "conversation:" + std::string(args[0].get_string()));
    });
  }

  queue_events_options eo;
  eo.prefix = cfg_.prefix;
  eo.redis = cfg_.redis;
  relay_ = std::make_unique<job_event_relay>(ex_, "ai-processing", eo, sio_.get(), db_.get(), db_pool_);
  relay_->start();
  connectivity_.watch_database(*db_, db_pool_);
  connectivity_.start();

  httpd::server_options ho;
  ho.bind = cfg_.bind;
  ho.port = cfg_.port;
  ho.body_limit = cfg_.body_limit;
  // Uploads have their own limit, independent of (and usually above) the JSON routes'.
  ho.body_limit_for = [chat = cfg_.body_limit, upload = document_routes::upload_body_limit(cfg_.document_limit)](
                          const request& header) {
    auto target = header.target();
    auto path = target.substr(0, target.find('?'));
    return header.method() == http::verb::post && path == "/api/documents" ? upload : chat;
  };
  ho.read_timeout = cfg_.read_timeout;
  ho.idle_timeout = cfg_.idle_timeout;
  http_ = std::make_unique<httpd::http_server>(
      ex_, ho, [this](request req) { return handle(std::move(req)); },
      [](const request& req) { return socketio::server::handles(req.target()); },
      [sio](boost::beast::tcp_stream stream, request req) { return sio->run_websocket(std::move(stream), std::move(req)); });
  auto* admin = admin_.get();
  http_->set_stream_hook([](const request& req) { return admin_api::streams(req); },
                         [admin](boost::beast::tcp_stream stream, request req) {
                           return admin->stream_events(std::move(stream), std::move(req));
                         });
  http_->start();
  if (!cfg_.dashboard.configured()) {
    spdlog::info("dashboard: off (set DASHBOARD_TOKEN or DASHBOARD_USERS to open /dashboard)");
  }
}

void api_server::stop() {
  if (http_) http_->stop();
  connectivity_.stop();
  queue_stats_.close();
  alert_reader_.close();
  if (sio_) sio_->close_all();
  if (relay_) relay_->stop();
  if (admin_) admin_->close();
  ai_queue_.close();
  webhook_queue_.close();
  documents_queue_.close();
}

std::uint16_t api_server::port() const { return http_ ? http_->port() : 0; }

std::size_t api_server::pending_logs() const { return relay_ ? relay_->buffered() : 0; }

net::awaitable<response> api_server::handle(request req) {
  const auto started = std::chrono::steady_clock::now();
  std::string pattern = "unmatched";
  auto res = co_await respond(req, pattern);
  http_stats_.observe(req.method(), pattern, res.result_int(), std::chrono::steady_clock::now() - started);
  co_return res;
}

net::awaitable<response> api_server::metrics_page(const request& req) {
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
  if (text) {
    boost::system::error_code ec;
    auto doc = json::parse(*text, ec);
    if (!ec && doc.is_object()) {
      const auto& o = doc.get_object();
      if (auto* list = o.if_contains("incidents"); list && list->is_array()) out["incidents"] = *list;
      if (auto* at = o.if_contains("updatedAt")) out["evaluatedAt"] = *at;
      if (auto* rules = o.if_contains("rules")) out["rules"] = *rules;
    }
  }
  co_return json_response(req, http::status::ok, out);
}

net::awaitable<response> api_server::respond(request& req, std::string& pattern) {
  std::optional<response> res;
  std::exception_ptr failure;
  try {
    res = co_await route(req, pattern);
  } catch (...) {
    failure = std::current_exception();
  }
  if (res) co_return std::move(*res);
  co_return error_reply(req, failure);
}

net::awaitable<response> api_server::route(request& req, std::string& pattern) {
  if (sio_ && socketio::server::handles(req.target())) {
    pattern = "/socket.io/";
    request copy = req;
    co_return co_await sio_->handle_polling(std::move(copy));
  }
  if (admin_api::handles(req.target())) co_return co_await admin_->handle(req);
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) co_return error_response(req, http::status::bad_request, "Malformed request target");
  std::vector<std::string> seg;
  for (auto s : url->segments()) seg.push_back(s);
  const auto method = req.method();
  // Matches the path against a pattern ("api", "chat", "job", ":jobId"), and on a match
  // names the route for the metrics.
  auto is = [&](std::initializer_list<const char*> parts) {
    if (!matches_pattern(seg, parts)) return false;
    pattern.clear();
    for (const char* p : parts) pattern += std::string("/") + p;
    return true;
  };
  auto only = [&](http::verb v) -> std::optional<response> {
    if (method == v || (v == http::verb::get && method == http::verb::head)) return std::nullopt;
    auto res = error_response(req, http::status::method_not_allowed, "Method not allowed");
    res.set(http::field::allow, std::string(http::to_string(v)));
    return res;
  };
  std::optional<response> wrong;

  if (seg.empty() || (seg.size() == 1 && seg[0].empty())) {
    pattern = "/";
    if ((wrong = only(http::verb::get))) co_return *wrong;
    co_return static_asset(req, "index.html", "text/html; charset=utf-8");
  }
  if (is({"assets", ":name"})) {
    if ((wrong = only(http::verb::get))) co_return *wrong;
    co_return static_asset(req, seg[1], seg[1].ends_with(".js") ? "text/javascript" : "application/octet-stream");
  }
  if (is({"healthz"})) {
    json::object ok;
    ok["status"] = "ok";
    co_return json_response(req, http::status::ok, ok);
  }
  if (is({"readyz"})) co_return co_await chat_routes::ready(*this, req);
  if (is({"metrics"})) {
    if ((wrong = only(http::verb::get))) co_return *wrong;
    co_return co_await metrics_page(req);
  }
  if (is({"api", "alerts"})) {
    if ((wrong = only(http::verb::get))) co_return *wrong;
    admin_->require_reader(req);  // incidents name queues and counts: operators only
    co_return co_await alerts(req);
  }
  if (is({"api", "chat", "send"})) {
    if ((wrong = only(http::verb::post))) co_return *wrong;
    co_return co_await chat_routes::send(*this, req);
  }
  if (is({"api", "chat", "job", ":jobId"})) {
    std::string id = seg[3];
    if (method == http::verb::delete_) co_return co_await chat_routes::cancel_job(*this, req, std::move(id));
    if ((wrong = only(http::verb::get))) {
      wrong->set(http::field::allow, "GET, DELETE");
      co_return *wrong;
    }
    co_return co_await chat_routes::job_status(*this, req, std::move(id));
  }
  if (is({"api", "conversations", ":conversationId", "messages"})) {
    if ((wrong = only(http::verb::get))) co_return *wrong;
    std::string id = seg[2];
    co_return co_await chat_routes::history(*this, req, std::move(id));
  }
  if (is({"api", "users", ":userId", "assessment"})) {
    if ((wrong = only(http::verb::put))) co_return *wrong;
    std::string id = seg[2];
    co_return co_await chat_routes::put_assessment(*this, req, std::move(id));
  }
  if (is({"api", "documents"})) {
    if ((wrong = only(http::verb::post))) co_return *wrong;
    co_return co_await document_routes::upload(*this, req);
  }
  if (is({"api", "documents", ":documentId"})) {
    if ((wrong = only(http::verb::get))) co_return *wrong;
    std::string id = seg[2];
    co_return co_await document_routes::get(*this, req, std::move(id));
  }
  if (is({"api", "webhooks", "job-completed"})) {
    if ((wrong = only(http::verb::post))) co_return *wrong;
    co_return co_await chat_routes::job_completed_webhook(*this, req);
  }
  if (is({"api", "webhooks", "deliveries", ":deliveryId"})) {
    if ((wrong = only(http::verb::get))) co_return *wrong;
    std::string id = seg[3];
    co_return co_await webhook_routes::delivery(*this, req, std::move(id));
  }
  pattern = "unmatched";
  co_return error_response(req, http::status::not_found, "Not found");
}

}  // namespace drover::api
