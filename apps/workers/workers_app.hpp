// workers_app.hpp - the Workers app: one worker per seed queue, and health endpoints.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <drover/job_options.hpp>
#include <drover/redis_options.hpp>
#include <drover_app/queue_shards.hpp>
#include <drover_app/webhook_secrets.hpp>

#include "workers/address_policy.hpp"
#include "workers/delivery_policy.hpp"
#include "workers/ai_provider.hpp"
#include "workers/alerts/alert_rules.hpp"
#include "workers/extraction_process.hpp"

namespace drover::workers {

struct workers_config {
  std::string prefix = "bull";
  redis_options redis = redis_options::from_env();
  // REDIS_MIN_REPLICAS, REDIS_REPLICATION_TIMEOUT_MS: a chat job's webhook delivery is
  // confirmed on that many replicas, or the chat job's attempt fails (docs/reliability.md).
  replication_options replication;
  // AI_QUEUE_SHARDS, DOCUMENT_QUEUE_SHARDS, WEBHOOK_QUEUE_SHARDS: 0 plain queues (the
  // default), N sharded ones, worked by a sharded_worker with the queue's concurrency;
  // the API must be given the same.
  app::queue_shards shards;
  int ai_concurrency = 5;        // AI_CONCURRENCY
  int document_concurrency = 2;  // DOCUMENT_CONCURRENCY
  int webhook_concurrency = 10;  // WEBHOOK_CONCURRENCY
  std::string bind = "0.0.0.0";  // WORKERS_BIND (127.0.0.1 in the development mode, AUTH_MODE=none)
  std::uint16_t port = 5001;     // WORKERS_PORT: /healthz, /readyz, /metrics
  std::string metrics_token;     // METRICS_TOKEN: /metrics wants it as a bearer token when set
  // AUTH_MODE=none. Outside it, /metrics without METRICS_TOKEN is served on a loopback
  // WORKERS_BIND only (httpd::metrics_open_without_token).
  bool development = false;
  // WEBHOOK_SECRET (required, and not the development one, unless AUTH_MODE=none, the
  // development mode, where it defaults to "dev-webhook-secret") signs the deliveries to
  // the API's own receiver, which trusts its key. USER_WEBHOOK_SECRET signs those to URLs
  // users gave with their sends (each user's key made from it), OPERATOR_WEBHOOK_SECRET the
  // others (alert messages, deliveries queued by hand), so that their receivers hold no
  // key the API's receiver trusts (a receiver of alerts replayed a forged answer into the
  // API). Unset, each is made from WEBHOOK_SECRET, and no receiver knows it.
  app::webhook_secrets webhooks;
  // The *_PREVIOUS settings during a rotation: each delivery carries a signature of the
  // previous key too, which receivers not yet given the new one verify.
  std::optional<app::webhook_secrets> previous_webhooks;
  // Destinations the SSRF guard lets through although they are loopback or private (see
  // address_policy.hpp): for the API's own deliveries, the API's address, from PUBLIC_URL
  // or PORT as the API derives it (so the dev setup works as is), and
  // WEBHOOK_ALLOWED_HOSTS; for URLs users gave, WEBHOOK_ALLOWED_HOSTS only (a user's URL
  // on the API's address but not its receiver would reach any of the API's routes from
  // inside).
  address_policy webhook_destinations;
  address_policy user_webhook_destinations;
  // The API's own job-completed receiver (PUBLIC_URL, else 127.0.0.1 and PORT): its
  // deliveries carry the answers and are retried for hours (delivery_policy.hpp).
  api_receiver_address api_receiver;
  std::string database_url = "sqlite://var/drover.db";  // DATABASE_URL: uploads and their chunks
  std::string name;                                     // worker name prefix (processedBy, CLIENT LIST)
  // Per-queue default timeouts, for jobs without a `timeout` of their own (0: none).
  std::chrono::milliseconds ai_job_timeout{120000};        // AI_JOB_TIMEOUT_MS
  std::chrono::milliseconds document_job_timeout{300000};  // DOCUMENT_JOB_TIMEOUT_MS
  std::chrono::milliseconds webhook_job_timeout{60000};    // WEBHOOK_JOB_TIMEOUT_MS
  // What one document's extraction (a drover-extract child) may use:
  // EXTRACT_MEMORY_MB, EXTRACT_CPU_SECONDS, EXTRACT_TIMEOUT_SECONDS.
  extraction_limits extraction;
  std::string extract_helper = extraction_process::default_helper();  // EXTRACT_HELPER
  // Jobs that fail for good are copied to "<queue>-dlq"; DEAD_LETTERS=off turns it off.
  // Each dead-letter queue keeps the newest DEAD_LETTERS_KEPT entries (0: all).
  bool dead_letters = true;
  std::int64_t dead_letters_kept = 10000;
  ai_settings ai = ai_settings::from_env();
  alert_settings alerts;  // ALERT_RULES / ALERT_RULES_FILE, ALERT_WEBHOOK_URL, ALERT_INTERVAL_MS

  static workers_config from_env();
};

// Lifecycle: start() opens the database (migrating it), starts the three workers (a
// sharded_worker for a sharded queue), the
// HTTP server (/healthz, /readyz, /metrics), the connectivity monitor and the alert
// evaluator (when there are rules); stop(grace) closes
// them in BullMQ's order (stop fetching, let running jobs finish up to grace, hand back).
// Scaling out is starting more processes, on any machine, against the same Redis.
// Thread safety: one executor.
class workers_app {
 public:
  workers_app(boost::asio::any_io_executor ex, workers_config cfg);
  ~workers_app();
  void start();
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);
  std::uint16_t port() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace drover::workers
