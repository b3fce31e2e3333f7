// api_config.cpp - reading the API's settings from the environment.
#include "api/api_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

#include <drover/error.hpp>
#include <drover_app/ascii.hpp>
#include <drover_app/env.hpp>
#include <drover_app/job_completed_receiver.hpp>
#include <drover_app/replicated_adds.hpp>
#include <drover_app/secret_strength.hpp>
#include <drover_app/webhook_signature.hpp>

#include "api/socketio/server.hpp"
#include "httpd/http_server.hpp"

namespace drover::api {

using app::env;

admin_access dashboard_access_from_env() {
  const char* token = env("DASHBOARD_TOKEN");
  const char* users = env("DASHBOARD_USERS");
  return admin_access(token ? token : "", users ? users : "");
}

api_limits api_limits::from_env() {
  api_limits l;
  const auto read = [](const char* name, std::size_t& field, std::size_t min) {
    if (const char* v = env(name)) field = app::env_number<std::size_t>(name, v, min);
  };
  read("MAX_CONNECTIONS", l.max_connections, 0);
  read("MAX_CONNECTIONS_PER_IP", l.max_connections_per_ip, 0);
  read("MAX_UPLOAD_BYTES_IN_FLIGHT", l.max_upload_bytes_in_flight, 0);
  if (const char* v = env("MAX_UPLOAD_BYTES_PER_CLIENT"))
    l.max_upload_bytes_per_client = app::env_number<std::size_t>("MAX_UPLOAD_BYTES_PER_CLIENT", v, 0);
  read("SOCKETIO_MAX_SESSIONS", l.socketio_max_sessions, 1);
  read("SOCKETIO_MAX_SESSIONS_PER_IP", l.socketio_max_sessions_per_ip, 1);
  if (const char* v = env("SOCKETIO_CONNECT_TIMEOUT_MS")) {
    l.socketio_connect_timeout_ms =
        static_cast<std::size_t>(app::env_ms("SOCKETIO_CONNECT_TIMEOUT_MS", v, 100).count());
  }
  read("SOCKETIO_MAX_SESSIONS_PER_USER", l.socketio_max_sessions_per_user, 1);
  read("SOCKETIO_MAX_ROOMS_PER_SOCKET", l.socketio_max_rooms_per_socket, 1);
  read("SOCKETIO_MAX_ROOM_NAME_BYTES", l.socketio_max_room_name_bytes, 1);
  read("SOCKETIO_MAX_BUFFERED_BYTES", l.socketio_max_buffered_bytes, 1024);
  read("MAX_UNANSWERED_SENDS_PER_USER", l.max_unanswered_sends_per_user, 0);
  read("MAX_UNFINISHED_DOCUMENTS_PER_USER", l.max_unfinished_documents_per_user, 0);
  return l;
}

std::size_t api_limits::upload_bytes_per_client(std::size_t largest_upload) const {
  if (max_upload_bytes_per_client) return *max_upload_bytes_per_client;
  const auto total = max_upload_bytes_in_flight;
  if (total == 0) return 0;
  return std::min(total, std::max(total / 4, largest_upload));
}

std::string api_limits::refuses_uploads_of(std::size_t document_limit) const {
  const std::size_t largest = upload_body_limit(document_limit);
  struct budget {
    const char* name;
    std::size_t bytes;  // 0: no limit
    int status;         // what every such upload would get
  };
  const budget budgets[] = {
      {"MAX_UPLOAD_BYTES_IN_FLIGHT", max_upload_bytes_in_flight, 503},
      {"MAX_UPLOAD_BYTES_PER_CLIENT", max_upload_bytes_per_client.value_or(0), 429},
  };
  for (const auto& b : budgets) {
    if (b.bytes == 0 || b.bytes >= largest) continue;
    return fmt::format(
        "{} ({}) holds no upload of DOCUMENT_MAX_BYTES ({}) and its 64 KiB of framing: every such upload would get "
        "{} for ever; raise it to at least {} or lower DOCUMENT_MAX_BYTES",
        b.name, b.bytes, document_limit, b.status, largest);
  }
  return {};
}

void api_limits::apply_to(httpd::server_options& http, std::size_t largest_upload) const {
  http.max_connections = max_connections;
  http.max_connections_per_address = max_connections_per_ip;
  http.max_body_bytes_in_flight = max_upload_bytes_in_flight;
  http.max_body_bytes_per_client = upload_bytes_per_client(largest_upload);
}

void api_limits::apply_to(socketio::options& sio) const {
  sio.max_sessions = socketio_max_sessions;
  sio.max_sessions_per_address = socketio_max_sessions_per_ip;
  sio.connect_timeout = std::chrono::milliseconds(socketio_connect_timeout_ms);
  sio.max_sessions_per_user = socketio_max_sessions_per_user;
  sio.max_rooms_per_client = socketio_max_rooms_per_socket;
  sio.max_room_name = socketio_max_room_name_bytes;
  sio.max_buffered = socketio_max_buffered_bytes;
}

api_config api_config::from_env() {
  api_config c;
  // 0 would listen on a port the kernel picks, which nobody (the workers' webhook
  // included) could find: refused, as WORKERS_PORT and --port are.
  if (const char* v = env("PORT")) c.port = app::env_number<std::uint16_t>("PORT", v, 1);
  // No 0 for "no limit" here, as some neighbours have: 0 refused every send or upload
  // (an operator review). A send of one short message takes about 100 bytes.
  if (const char* v = env("BODY_LIMIT")) c.body_limit = app::env_number<std::size_t>("BODY_LIMIT", v, 1024);
  // At most 4 GiB: an upload is held in memory whole, and the largest number overflowed
  // the body limit (DOCUMENT_MAX_BYTES + 64 KiB) into 64 KiB (a configuration review).
  if (const char* v = env("DOCUMENT_MAX_BYTES"))
    c.document_limit = app::env_number<std::size_t>("DOCUMENT_MAX_BYTES", v, 1, std::size_t{4} << 30);
  if (const char* v = env("DOCUMENT_QUOTA_BYTES"))
    c.document_quota = app::env_number<std::int64_t>("DOCUMENT_QUOTA_BYTES", v, 0);  // -1 read as no limit
  if (const char* v = env("DATABASE_URL")) c.database_url = v;
  if (const char* v = env("PUBLIC_URL")) {
    try {
      app::parse_public_url(v);
    } catch (const std::invalid_argument& e) {
      throw error(errc::invalid_argument, e.what());
    }
    c.public_url = v;
  }
  std::string webhook_secret;
  if (const char* v = env("WEBHOOK_SECRET")) webhook_secret = v;
  if (const char* v = app::env_exact("QUEUE_PREFIX")) c.prefix = v;
  c.shards = app::queue_shards::from_env();
  // Trimmed, as DASHBOARD_TOKEN is: a secret mounted from a file ends in a newline,
  // which no bearer header can carry (every scrape got 401).
  if (const char* v = env("METRICS_TOKEN")) c.metrics_token = std::string(app::trim_space(v));
  if (const char* v = env("METRICS_BIND")) c.metrics_bind = v;
  if (const char* v = env("METRICS_PORT")) c.metrics_port = app::env_number<std::uint16_t>("METRICS_PORT", v, 1);
  // METRICS_BIND alone was ignored without a word, /metrics staying on the API's port (a
  // configuration review), as the sentinel settings without sentinels were.
  if (env("METRICS_BIND") && !c.metrics_port) {
    throw error(errc::invalid_argument,
                "METRICS_BIND is set but METRICS_PORT is not: /metrics is served on the API's port unless METRICS_PORT "
                "names one of its own; set METRICS_PORT, or unset METRICS_BIND");
  }
  c.auth = app::development_auth_mode() ? auth_mode::none : auth_mode::jwt;  // as the Workers app reads it
  c.bind = app::default_bind(c.auth == auth_mode::none);
  if (const char* v = env("BIND")) c.bind = v;
  if (c.auth == auth_mode::none && webhook_secret.empty()) webhook_secret = app::development_webhook_secret;
  c.limits = api_limits::from_env();
  if (auto why = c.limits.refuses_uploads_of(c.document_limit); !why.empty()) throw error(errc::invalid_argument, why);
  c.replication = app::replication_from_env(c.redis, api_command_timeout);
  try {
    c.jwt = auth::jwt_settings::from_env();
    c.rates = rate_limits::from_env();
    if (const char* v = env("TRUSTED_PROXIES")) c.proxies = client_address_policy(v);
    // A malformed whsec_ secret stops the start, not every webhook later.
    if (!webhook_secret.empty()) {
      try {
        drover::app::webhook_key(webhook_secret);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("WEBHOOK_SECRET: ") + e.what());
      }
      const bool development = c.auth == auth_mode::none;
      c.webhooks = app::webhook_secrets_from_env(std::move(webhook_secret), development);
      c.previous_webhooks = app::previous_webhook_secrets_from_env(c.webhooks, development);
    }
    const char* tiers = env("PRIORITY_TIERS");
    const char* users = env("USER_TIERS");
    const char* fallback = env("DEFAULT_TIER");
    c.priorities = priority_policy(tiers ? tiers : "", users ? users : "", fallback ? fallback : "");
    c.dashboard = dashboard_access_from_env();
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  return c;
}

void api_config::check_safe() const {
  if (auth == auth_mode::none) return;
  try {
    app::require_production_webhook_secret(webhooks.api);
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  if (auto weak = dashboard.production_weakness(); !weak.empty()) {
    throw error(errc::invalid_argument, weak);
  }
  if (auto weak = app::metrics_token_weakness(metrics_token); !weak.empty()) throw error(errc::invalid_argument, weak);
  if (auto shared = shared_secret(); !shared.empty()) throw error(errc::invalid_argument, shared);
}

// One secret per purpose: the Workers app holds WEBHOOK_SECRET, Prometheus the metrics
// token and operators the dashboard's credentials, and none of them should be able to
// mint a user's JWT or act as another with it. Compared in every form (distinct_secrets.hpp):
// as written, as the keys they become, and as HMAC uses those keys.
std::string api_config::shared_secret() const {
  std::vector<app::named_secret> secrets;
  if (!jwt.hs256_secret.empty()) secrets.push_back(app::plain_secret("AUTH_JWT_SECRET", jwt.hs256_secret));
  // Set, a webhook secret is one some receiver verifies with (users' keys are made from
  // USER_WEBHOOK_SECRET's, and both WEBHOOK_SECRETs are the API receiver's during a
  // rotation): it must not be one that mints a user's token either.
  for (auto& s : app::named_webhook_secrets(webhooks, previous_webhooks)) secrets.push_back(std::move(s));
  if (!metrics_token.empty()) secrets.push_back(app::plain_secret("METRICS_TOKEN", metrics_token));
  for (auto& [name, value] : dashboard.named_secrets()) secrets.push_back(app::plain_secret(std::move(name), value));
  return app::shared_secret_among(secrets);
}

std::string api_config::own_webhook_url() const {
  return app::job_completed_url(public_url.empty() ? fmt::format("http://127.0.0.1:{}", port) : public_url);
}

}  // namespace drover::api
