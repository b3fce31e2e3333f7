// api_config.hpp - everything `drover api` can be told, with the seed's defaults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <drover/job_options.hpp>
#include <drover/redis_options.hpp>
#include <drover_app/fast_fail.hpp>
#include <drover_app/queue_shards.hpp>
#include <drover_app/webhook_secrets.hpp>

#include "api/admin_access.hpp"
#include "api/auth/jwt_verifier.hpp"
#include "api/client_address.hpp"
#include "api/priority_policy.hpp"
#include "api/rate_limit.hpp"
#include "api/routing/gatekeeper.hpp"

namespace drover::httpd {
struct server_options;
}
namespace drover::api::socketio {
struct options;
}

namespace drover::api {

// The body limit the HTTP layer applies to an upload: the document limit plus room for
// multipart framing.
constexpr std::size_t upload_body_limit(std::size_t document_limit) { return document_limit + 64 * 1024; }

// What one client may hold of the server; 0 means no limit for the connection and
// upload caps. Defaults hold on a 2-core machine (docs/configuration.md, "Limits").
struct api_limits {
  std::size_t max_connections = 1000;                          // MAX_CONNECTIONS
  std::size_t max_connections_per_ip = 100;                    // MAX_CONNECTIONS_PER_IP
  std::size_t max_upload_bytes_in_flight = 256 * 1024 * 1024;  // MAX_UPLOAD_BYTES_IN_FLIGHT
  // MAX_UPLOAD_BYTES_PER_CLIENT: what one client address, and one user, may hold of it.
  // Unset: upload_bytes_per_client() derives it.
  std::optional<std::size_t> max_upload_bytes_per_client;
  std::size_t socketio_max_sessions = 10'000;             // SOCKETIO_MAX_SESSIONS
  std::size_t socketio_max_sessions_per_ip = 100;         // SOCKETIO_MAX_SESSIONS_PER_IP
  std::size_t socketio_connect_timeout_ms = 10'000;       // SOCKETIO_CONNECT_TIMEOUT_MS
  std::size_t socketio_max_sessions_per_user = 20;        // SOCKETIO_MAX_SESSIONS_PER_USER
  std::size_t socketio_max_rooms_per_socket = 100;        // SOCKETIO_MAX_ROOMS_PER_SOCKET
  std::size_t socketio_max_room_name_bytes = 256;         // SOCKETIO_MAX_ROOM_NAME_BYTES
  std::size_t socketio_max_buffered_bytes = 1024 * 1024;  // SOCKETIO_MAX_BUFFERED_BYTES
  // Chat sends of one user whose jobs have not ended, per API process (user_backlog.hpp).
  std::size_t max_unanswered_sends_per_user = 20;  // MAX_UNANSWERED_SENDS_PER_USER
  // Uploads of one user queued or processing (read from the database, so across API
  // processes): each may take a document worker for up to EXTRACT_CPU_SECONDS.
  std::size_t max_unfinished_documents_per_user = 3;  // MAX_UNFINISHED_DOCUMENTS_PER_USER

  // Reads the variables above over the defaults; throws drover::error(invalid_argument).
  static api_limits from_env();
  // The share of the upload budget one client address, and one user, may hold: the
  // setting, or else a quarter of the budget but at least one upload of
  // `largest_upload` bytes (and never more than the budget). 0: no per-client limit.
  std::size_t upload_bytes_per_client(std::size_t largest_upload) const;
  // Why these limits would refuse every upload of DOCUMENT_MAX_BYTES (a budget smaller
  // than one such upload), or "" when they take one.
  std::string refuses_uploads_of(std::size_t document_limit) const;
  // Copies the limits into the HTTP server's and the Socket.IO server's options;
  // `largest_upload` is the largest upload body the server takes.
  void apply_to(httpd::server_options& http, std::size_t largest_upload) const;
  void apply_to(socketio::options& sio) const;
};

// The command timeout of the API's Redis connections: it answers callers within about a
// second even when Redis is away.
inline constexpr std::chrono::milliseconds api_command_timeout = app::fast_fail_command_timeout;

struct api_config {
  // BIND: 0.0.0.0, or 127.0.0.1 in the development mode (AUTH_MODE=none) unless set.
  std::string bind = "0.0.0.0";
  std::uint16_t port = 5000;                      // PORT
  std::size_t body_limit = 1024 * 1024;           // BODY_LIMIT: larger requests get 413
  std::size_t document_limit = 20 * 1024 * 1024;  // DOCUMENT_MAX_BYTES: larger uploads get 413
  // DOCUMENT_QUOTA_BYTES: what one user's uploads may take in all (0: no limit); an upload
  // past it gets 413 until the user deletes documents. The rate limits bound how fast a
  // user stores, this how much.
  std::int64_t document_quota = 500LL * 1024 * 1024;
  std::chrono::milliseconds read_timeout{15000};  // a request must arrive within this
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connections close after this
  std::string prefix = "bull";
  redis_options redis = redis_options::from_env();
  // AI_QUEUE_SHARDS, DOCUMENT_QUEUE_SHARDS, WEBHOOK_QUEUE_SHARDS: 0 plain queues (the
  // default), N sharded ones; the Workers app must be given the same.
  app::queue_shards shards;
  // REDIS_MIN_REPLICAS, REDIS_REPLICATION_TIMEOUT_MS (below api_command_timeout): a
  // send's and an upload's job is confirmed on that many replicas before the 200/202,
  // else 503 (docs/reliability.md).
  replication_options replication;
  std::string database_url = "sqlite://var/drover.db";  // DATABASE_URL
  // Where workers deliver the job-completed webhook by default (the API's own receiver).
  std::string public_url;  // PUBLIC_URL; default http://127.0.0.1:<port>
  // As the Workers app reads them. WEBHOOK_SECRET signs job-completed webhooks (Standard
  // Webhooks); no default outside AUTH_MODE=none: the development one would let anyone
  // forge answers. GET /api/webhooks/signing-key hands each user its key, made from it
  // and USER_WEBHOOK_SECRET. All empty when WEBHOOK_SECRET is unset (check_safe refuses).
  app::webhook_secrets webhooks;
  // The *_PREVIOUS settings during a rotation: the receiver accepts the previous
  // WEBHOOK_SECRET's signature too, and the signing-key route gives the previous key.
  std::optional<app::webhook_secrets> previous_webhooks;
  std::size_t history_limit = 20;  // previous messages put into the AI context
  unsigned db_threads = 4;
  priority_policy priorities;       // PRIORITY_TIERS, USER_TIERS, DEFAULT_TIER
  admin_access dashboard;           // DASHBOARD_TOKEN, DASHBOARD_USERS (none: the dashboard is refused)
  auth_mode auth = auth_mode::jwt;  // AUTH_MODE: jwt, or none for development only
  auth::jwt_settings jwt;           // AUTH_JWT_SECRET | AUTH_JWT_PUBLIC_KEY_FILE | AUTH_JWKS_FILE, ...
  std::string metrics_token;        // METRICS_TOKEN: /metrics wants it as a bearer token when set
  // METRICS_BIND, METRICS_PORT: /metrics on a listener of its own (and not on the API's)
  // when METRICS_PORT is set; loopback unless METRICS_BIND says otherwise, in either mode.
  std::string metrics_bind = "127.0.0.1";
  std::uint16_t metrics_port = 0;
  api_limits limits;              // MAX_CONNECTIONS..., SOCKETIO_MAX_... (see api_limits)
  rate_limits rates;              // RATE_LIMIT_SEND_USER, ... (see rate_limit.hpp)
  client_address_policy proxies;  // TRUSTED_PROXIES: whose X-Forwarded-For names the client

  // Reads the environment over the defaults; throws drover::error(invalid_argument).
  static api_config from_env();
  // Refuses settings that are unsafe outside development: in AUTH_MODE=jwt a WEBHOOK_SECRET
  // that is missing, the development one or too short (require_production_webhook_secret),
  // weak dashboard credentials or METRICS_TOKEN, one secret set for two purposes. Throws
  // drover::error(invalid_argument) saying what to set.
  void check_safe() const;
  // The two settings that hold the same key ("A and B are the same secret..."), or "".
  std::string shared_secret() const;
  std::string own_webhook_url() const;
};

// The dashboard's credentials from DASHBOARD_TOKEN and DASHBOARD_USERS (also used by
// `drover dashboard`). Throws std::invalid_argument for a malformed DASHBOARD_USERS.
admin_access dashboard_access_from_env();

}  // namespace drover::api
