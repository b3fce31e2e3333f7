// app_commands.cpp - `drover api`, `workers`, `dashboard` and `migrate`: runs the API
// app, the Workers app, the dashboard alone, or the database migrations.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <drover/redis_options.hpp>
#include <drover_app/db/database.hpp>
#include <drover_app/env.hpp>
#include <drover_app/fast_fail.hpp>
#include <drover_app/logging/log_setup.hpp>
#include <drover_app/logging/redact.hpp>

#include "api/admin_access.hpp"
#include "api/admin_api.hpp"
#include "api/rate_limiter.hpp"
#include "api/routing/gatekeeper.hpp"
#include "api/routing/router.hpp"
#include "api/api_config.hpp"
#include "api/api_server.hpp"
#include "httpd/http_server.hpp"
#include "workers/workers_app.hpp"

#include "cli_support.hpp"
#include "commands.hpp"
#include "flag_checks.hpp"

namespace net = boost::asio;

namespace drover::cli {

namespace {

struct app_flags {
  std::string redis_url;
  std::string database_url;
  std::string prefix;
  int port = 0;
  std::string bind;
  int ai_concurrency = 0, document_concurrency = 0, webhook_concurrency = 0;
  long shutdown_grace_ms = 30000;
  std::string log_format;  // empty: LOG_FORMAT, else text
  std::string log_level;   // empty: LOG_LEVEL, else info
};

void add_log_options(CLI::App* cmd, app_flags& flags) {
  // Before the checks (CLI11 runs transforms first): JSON and INFO are taken in either
  // case, as LOG_FORMAT and LOG_LEVEL take them.
  auto lower_case = [](std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  cmd->add_option("--log-format", flags.log_format,
                  "text (default) or json, one object per line, in either case (default: LOG_FORMAT)")
      ->check(one_of({"text", "json"}))
      ->transform(lower_case);
  cmd->add_option("--log-level", flags.log_level,
                  "trace, debug, info (default), warn, error, critical or off, in either case (default: LOG_LEVEL)")
      ->check(one_of({"trace", "debug", "info", "warn", "warning", "error", "critical", "off"}))
      ->transform(lower_case);
}

// Waits (up to a deadline) for the API's buffered job_logs to reach the database.
net::awaitable<void> drain_logs(api::api_server& server) {
  net::steady_timer t(co_await net::this_coro::executor);
  for (int i = 0; i < 100 && server.pending_logs() > 0; ++i) {
    t.expires_after(std::chrono::milliseconds(30));
    co_await t.async_wait(net::use_awaitable);
  }
}

// The Redis settings an app runs with: --redis over the environment's. TLS files in the
// environment for a plain connection are refused (they would be ignored).
// Outside the development mode a TLS connection that accepts any certificate is refused:
// anyone on the path could read every job and the Redis password (a security review).
redis_options app_redis(const std::string& flag_url, redis_options from_environment) {
  warn_of_password_in_flag(flag_url);
  redis_options chosen = flag_url.empty() ? std::move(from_environment) : redis_options::from_env(flag_url);
  if (flag_url.empty()) redis_options::refuse_tls_variables_without_tls(chosen);
  if (chosen.tls.enabled && !chosen.tls.verify && !app::development_auth_mode()) {
    throw error(errc::invalid_argument,
                "Redis TLS certificate verification is off (REDIS_TLS_INSECURE=yes or tls_verify=no in the URL): "
                "refused outside the development mode; name the CA that signed Redis's "
                "certificate with REDIS_TLS_CA_FILE (and REDIS_TLS_SERVER_NAME if it names another host), or use "
                "AUTH_MODE=none for development");
  }
  // A file that cannot be read stops the start, rather than every connection after it.
  chosen.check_tls_files();
  return chosen;
}

// SIGTERM for the API: the requests being answered finish, then the logs are drained.
net::awaitable<void> stop_api(api::api_server& server) {
  auto stopping = server.stop();  // named: its default grace is a temporary (GCC 12)
  co_await std::move(stopping);
  auto draining = drain_logs(server);
  co_await std::move(draining);
}

// `drover dashboard`: the admin_api on its own listener, nothing else.
int run_dashboard(const app_flags& flags) {
  outlive_a_lost_log_reader();
  auto access = api::dashboard_access_from_env();
  if (!app::development_auth_mode()) {
    auto weak = access.production_weakness();
    if (!weak.empty()) throw error(errc::invalid_argument, weak + " (or AUTH_MODE=none for development)");
  }
  queue_options qo;
  qo.redis = app_redis(flags.redis_url, std::move(qo.redis));
  qo.prefix = flags.prefix;
  if (qo.prefix.empty()) qo.prefix = std::getenv("QUEUE_PREFIX") ? std::getenv("QUEUE_PREFIX") : "bull";
  qo.redis = app::fast_fail(std::move(qo.redis));  // as the API's reads
  net::io_context io(1);
  // The dashboard alone has operator routes only: no chat user to authenticate.
  api::gatekeeper gate(api::auth_mode::none, nullptr, access, "");
  api::admin_api admin(io.get_executor(), qo, gate,
                       std::make_shared<app::queue_discovery>(io.get_executor(), qo.redis, qo.prefix));
  api::route_table table;
  admin.add_routes(table);
  table.add(httpd::http::verb::get, "/healthz", api::route_access::open,
            [](api::route_request& r) -> net::awaitable<httpd::response> {
              boost::json::object ok;
              ok["status"] = "ok";
              co_return httpd::json_response(r.req, httpd::http::status::ok, ok);
            });
  table.add(httpd::http::verb::get, "/", api::route_access::open,
            [](api::route_request& r) -> net::awaitable<httpd::response> {
              httpd::response res{httpd::http::status::found, r.req.version()};
              res.set(httpd::http::field::location, "/dashboard");
              res.keep_alive(r.req.keep_alive());
              res.prepare_payload();
              co_return res;
            });
  api::router routes(std::move(table), gate, nullptr);
  httpd::server_options ho;
  ho.bind = flags.bind.empty() ? "127.0.0.1" : flags.bind;
  ho.port = 5050;
  if (const char* p = std::getenv("DASHBOARD_PORT")) ho.port = parse_port(p, "DASHBOARD_PORT");
  if (flags.port) ho.port = static_cast<std::uint16_t>(flags.port);
  httpd::http_server http(io.get_executor(), ho, [&routes](const httpd::request& header, std::string client) {
    return routes.plan(header, std::move(client));
  });
  http.set_stream_hook([](const httpd::request& req) { return api::admin_api::streams(req); },
                       [&admin](boost::beast::tcp_stream stream, httpd::request req) {
                         // No trusted proxies here: the peer is the client, as for the routes.
                         auto client = httpd::peer_address(stream);
                         return admin.stream_events(std::move(stream), std::move(req), std::move(client));
                       });
  http.start();
  spdlog::info("dashboard: http://{}:{}/dashboard (prefix {}){}", ho.bind, http.port(), qo.prefix,
               access.configured() ? "" : "; no credentials: set DASHBOARD_TOKEN or DASHBOARD_USERS");
  run_until_signal(io, [&] {
    http.stop();
    admin.close();
    io.stop();
  });
  return 0;
}

// Outside the development mode, a database nobody chose is worth a warning: an instance
// started without DATABASE_URL (a template's empty value) would keep its own SQLite file
// beside the shared database, and answers stored there are missing from the others.
void warn_of_default_database(const char* app, const app_flags& flags, const std::string& url) {
  if (app::development_auth_mode() || !flags.database_url.empty() || app::env("DATABASE_URL")) return;
  constexpr std::string_view scheme = "sqlite://";
  const auto file = url.starts_with(scheme) ? std::filesystem::absolute(url.substr(scheme.size())).string() : url;
  spdlog::warn(
      "{}: DATABASE_URL is not set: using SQLite at {}, on this machine only (several instances need one "
      "PostgreSQL database: DATABASE_URL=postgres://...)",
      app, file);
}

// The bodies of the four app commands: each runs until a signal (migrate: once).
int run_api(const app_flags& flags) {
  outlive_a_lost_log_reader();
  app::configure_logging_from(flags.log_format, flags.log_level);
  auto cfg = api::api_config::from_env();
  if (flags.port) cfg.port = static_cast<std::uint16_t>(flags.port);
  if (!flags.bind.empty()) cfg.bind = flags.bind;
  cfg.redis = app_redis(flags.redis_url, std::move(cfg.redis));
  if (!flags.database_url.empty()) cfg.database_url = flags.database_url;
  if (!flags.prefix.empty()) cfg.prefix = flags.prefix;
  warn_of_default_database("api", flags, cfg.database_url);
  if (!app::development_auth_mode() && cfg.public_url.empty()) {
    // Each instance then names its own loopback address for the answers' delivery, which
    // Workers on another machine (or guarding against loopback) cannot reach.
    spdlog::warn(
        "api: PUBLIC_URL is not set: answers are delivered to {} (this instance, on this machine); with "
        "several instances or the Workers app elsewhere set PUBLIC_URL to the address they reach the API at",
        cfg.own_webhook_url());
  }
  net::io_context io(1);
  api::api_server server(io.get_executor(), cfg);
  server.start();
  spdlog::info("api: listening on http://{}:{} (database {})", cfg.bind, server.port(),
               app::redact_url(cfg.database_url));
  run_until_signal(io, [&] { net::co_spawn(io, stop_api(server), [&](std::exception_ptr) { io.stop(); }); });
  return 0;
}

int run_workers(const app_flags& flags) {
  outlive_a_lost_log_reader();
  app::configure_logging_from(flags.log_format, flags.log_level);
  auto cfg = workers::workers_config::from_env();
  cfg.redis = app_redis(flags.redis_url, std::move(cfg.redis));
  if (!flags.prefix.empty()) cfg.prefix = flags.prefix;
  if (!flags.database_url.empty()) cfg.database_url = flags.database_url;
  if (flags.port) cfg.port = static_cast<std::uint16_t>(flags.port);
  if (flags.ai_concurrency) cfg.ai_concurrency = flags.ai_concurrency;
  if (flags.document_concurrency) cfg.document_concurrency = flags.document_concurrency;
  if (flags.webhook_concurrency) cfg.webhook_concurrency = flags.webhook_concurrency;
  warn_of_default_database("workers", flags, cfg.database_url);
  net::io_context io(1);
  workers::workers_app app(io.get_executor(), cfg);
  app.start();
  spdlog::info("workers: health and metrics on port {} (/healthz, /readyz, /metrics); database {}", app.port(),
               app::redact_url(cfg.database_url));
  run_until_signal(io, [&] {
    net::co_spawn(io, app.stop(std::chrono::milliseconds(flags.shutdown_grace_ms)),
                  [&](std::exception_ptr) { io.stop(); });
  });
  return 0;
}

int run_migrate(const app_flags& flags) {
  auto url = flags.database_url;
  if (url.empty()) url = api::api_config::from_env().database_url;
  auto db = app::open_database(url);
  auto applied = db->migrate();
  // Named: with DATABASE_URL unset this is the development file, which an operator who
  // meant a server's database should see at once.
  std::cout << "applied " << applied.size() << " migration(s) to " << app::redact_url(url) << std::endl;
  return 0;
}

constexpr const char* app_redis_help =
    "redis://... (default: REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_MASTER, REDIS_CLUSTER_NODES, or "
    "REDIS_HOST/PORT/PASSWORD; docs/configuration.md)";

void add_api_options(CLI::App& api, app_flags& flags) {
  api.add_option("--port", flags.port, "HTTP port (default: PORT or 5000)")->check(port_number());
  api.add_option("--bind", flags.bind,
                 "address to listen on (default: BIND, else 0.0.0.0; 127.0.0.1 with AUTH_MODE=none)");
  api.add_option("--redis", flags.redis_url, app_redis_help)->check(redis_url());
  api.add_option("--database-url", flags.database_url,
                 "sqlite://var/drover.db (default) or postgres://user@host/db (default: DATABASE_URL)");
  api.add_option("--prefix", flags.prefix, "queue key prefix (default: QUEUE_PREFIX or bull)");
  add_log_options(&api, flags);
}

void add_workers_options(CLI::App& workers, app_flags& flags) {
  workers.add_option("--redis", flags.redis_url, app_redis_help)->check(redis_url());
  workers.add_option("--prefix", flags.prefix, "queue key prefix (default: QUEUE_PREFIX or bull)");
  workers.add_option("--database-url", flags.database_url,
                     "where uploads and their chunks are (default: DATABASE_URL or sqlite://var/drover.db)");
  workers.add_option("--port", flags.port, "health port, /healthz and /readyz (default: WORKERS_PORT or 5001)")
      ->check(port_number());
  workers
      .add_option("--ai-concurrency", flags.ai_concurrency, "ai-processing jobs at once (default: AI_CONCURRENCY or 5)")
      ->check(positive<int>());
  workers
      .add_option("--document-concurrency", flags.document_concurrency,
                  "document-processing jobs at once (default: DOCUMENT_CONCURRENCY or 2)")
      ->check(positive<int>());
  workers
      .add_option("--webhook-concurrency", flags.webhook_concurrency,
                  "webhook-delivery jobs at once (default: WEBHOOK_CONCURRENCY or 10)")
      ->check(positive<int>());
  workers.add_option("--shutdown-grace", flags.shutdown_grace_ms, "on SIGTERM, wait this long for running jobs, ms")
      ->check(duration_ms(0))
      ->capture_default_str();
  add_log_options(&workers, flags);
}

void add_dashboard_options(CLI::App& dashboard, app_flags& flags) {
  dashboard.add_option("--port", flags.port, "HTTP port (default: DASHBOARD_PORT or 5050)")->check(port_number());
  dashboard.add_option("--bind", flags.bind, "address to listen on (default 127.0.0.1)");
  dashboard.add_option("--redis", flags.redis_url, app_redis_help)->check(redis_url());
  dashboard.add_option("--prefix", flags.prefix, "queue key prefix (default: QUEUE_PREFIX or bull)");
}

void add_migrate_options(CLI::App& migrate, app_flags& flags) {
  migrate.add_option("--database-url", flags.database_url, "default: DATABASE_URL or sqlite://var/drover.db");
}

}  // namespace

std::vector<command> app_commands() {
  std::vector<command> out;
  out.push_back(make_command<app_flags>("api",
                                        "run the API app: chat API, Socket.IO live updates, webhook receiver, web page",
                                        add_api_options, run_api));
  out.push_back(make_command<app_flags>("workers",
                                        "run the Workers app: ai-processing, document-processing, webhook-delivery",
                                        add_workers_options, run_workers));
  out.push_back(make_command<app_flags>("dashboard", "serve only the dashboard and its admin API (/dashboard)",
                                        add_dashboard_options, run_dashboard));
  out.push_back(
      make_command<app_flags>("migrate", "apply the database migrations and exit", add_migrate_options, run_migrate));
  return out;
}

}  // namespace drover::cli
