// workers_app.cpp - wiring of the Workers app.
#include "workers/workers_app.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>

#include <drover/dead_letter_queue.hpp>
#include <drover/error.hpp>
#include <drover/queue.hpp>
#include <drover/sharded_worker.hpp>
#include <drover/worker.hpp>

#include <boost/asio/thread_pool.hpp>

#include <drover_app/ascii.hpp>
#include <drover_app/readiness_queues.hpp>
#include <drover_app/secret_strength.hpp>
#include <drover_app/db/database.hpp>

#include <drover_app/connectivity_monitor.hpp>
#include <drover_app/env.hpp>
#include <drover_app/fast_fail.hpp>
#include <drover_app/logging/redact.hpp>
#include <drover_app/metrics/queue_collector.hpp>
#include <drover_app/metrics/registry.hpp>
#include <drover_app/queue_discovery.hpp>
#include <drover_app/replicated_adds.hpp>
#include <drover_app/webhook_signature.hpp>

#include <unistd.h>

#include "httpd/bearer_token.hpp"
#include "httpd/http_metrics.hpp"
#include "httpd/http_server.hpp"
#include "workers/address_policy.hpp"
#include "workers/alerts/alert_evaluator.hpp"
#include "workers/job_metrics.hpp"
#include "workers/processors.hpp"
#include "workers/delivery_policy.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::workers {

using app::env;

namespace {

int positive(const char* name, const char* text) { return app::env_number<int>(name, text, 1); }

}  // namespace

workers_config workers_config::from_env() {
  workers_config c;
  c.replication = app::replication_from_env(c.redis, c.redis.command_timeout);
  if (const char* v = env("AI_CONCURRENCY")) c.ai_concurrency = positive("AI_CONCURRENCY", v);
  if (const char* v = env("DOCUMENT_CONCURRENCY")) c.document_concurrency = positive("DOCUMENT_CONCURRENCY", v);
  if (const char* v = env("WEBHOOK_CONCURRENCY")) c.webhook_concurrency = positive("WEBHOOK_CONCURRENCY", v);
  if (const char* v = env("WORKERS_PORT")) c.port = app::env_number<std::uint16_t>("WORKERS_PORT", v, 1);
  // Trimmed, as DASHBOARD_TOKEN is: a secret mounted from a file ends in a newline,
  // which no bearer header can carry (every scrape got 401).
  if (const char* v = env("METRICS_TOKEN")) c.metrics_token = std::string(app::trim_space(v));
  std::string webhook_secret;
  if (const char* v = env("WEBHOOK_SECRET")) webhook_secret = v;
  // As the API: a receiver cannot trust a signature made with a secret everyone knows or
  // can guess, so outside the development mode there is no default.
  const bool development = app::development_auth_mode();  // refuses what the API refuses
  c.development = development;
  // The API refused a guessable token and this app took it: its /metrics listens on every
  // interface in production (a security review).
  if (auto weak = app::metrics_token_weakness(c.metrics_token); !development && !weak.empty()) {
    throw error(errc::invalid_argument, weak);
  }
  // As the API: the development mode listens on loopback unless told otherwise.
  c.bind = app::default_bind(development);
  if (const char* v = env("WORKERS_BIND")) c.bind = v;
  if (development && webhook_secret.empty()) webhook_secret = app::development_webhook_secret;
  try {
    app::require_usable_webhook_secret(webhook_secret, "WEBHOOK_SECRET", development);
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  c.webhooks = app::webhook_secrets_from_env(std::move(webhook_secret), development);
  c.previous_webhooks = app::previous_webhook_secrets_from_env(c.webhooks, development);
  // One secret per purpose, as the API checks its own: whoever scrapes /metrics must not
  // hold a key the API's receiver or a user's trusts, nor a receiver the scraper's token
  // (a rotation review started this app with METRICS_TOKEN = OPERATOR_WEBHOOK_SECRET_PREVIOUS).
  if (!development) {
    auto secrets = app::named_webhook_secrets(c.webhooks, c.previous_webhooks);
    if (!c.metrics_token.empty()) secrets.push_back(app::plain_secret("METRICS_TOKEN", c.metrics_token));
    if (auto shared = app::shared_secret_among(secrets); !shared.empty()) throw error(errc::invalid_argument, shared);
  }
  // The API's own receiver, as the API derives its URL, is a destination by
  // configuration, so it is always allowed.
  const char* port = env("PORT");
  if (port) app::env_number<std::uint16_t>("PORT", port, 1);
  try {
    c.api_receiver = api_receiver_address::of(env("PUBLIC_URL"), port ? port : "5000");
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  const std::string allowlist = env("WEBHOOK_ALLOWED_HOSTS") ? env("WEBHOOK_ALLOWED_HOSTS") : "";
  try {
    c.webhook_destinations = address_policy(c.api_receiver.hosts_text + "," + allowlist);
    c.user_webhook_destinations = address_policy(allowlist);
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, fmt::format("WEBHOOK_ALLOWED_HOSTS: {}", e.what()));
  }
  if (const char* v = app::env_exact("QUEUE_PREFIX")) c.prefix = v;
  c.shards = app::queue_shards::from_env();
  if (const char* v = env("DATABASE_URL")) c.database_url = v;
  if (const char* v = env("AI_JOB_TIMEOUT_MS")) c.ai_job_timeout = app::env_ms("AI_JOB_TIMEOUT_MS", v);
  if (const char* v = env("DOCUMENT_JOB_TIMEOUT_MS"))
    c.document_job_timeout = app::env_ms("DOCUMENT_JOB_TIMEOUT_MS", v);
  if (const char* v = env("WEBHOOK_JOB_TIMEOUT_MS")) c.webhook_job_timeout = app::env_ms("WEBHOOK_JOB_TIMEOUT_MS", v);
  if (const char* v = env("DEAD_LETTERS")) c.dead_letters = app::env_bool("DEAD_LETTERS", v);
  if (const char* v = env("DEAD_LETTERS_KEPT")) {
    c.dead_letters_kept = app::env_number<std::int64_t>("DEAD_LETTERS_KEPT", v, 0, 10'000'000);
  }
  c.alerts = alert_settings::from_env();
  c.extraction = extraction_limits::from_env();
  try {
    extraction_process::check_helper(c.extract_helper);
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  return c;
}

namespace {

// The alert receiver goes through the SSRF guard as every delivery does: one it refuses
// (a receiver on a private network, WEBHOOK_ALLOWED_HOSTS unset) is said at start, not by
// the first incident's delivery failing for good (an operator's drill; the receiver then
// got a RESOLVED for an incident it never saw fire). A name is resolved once, here.
void warn_if_guard_refuses_alerts(const std::string& url, const address_policy& destinations) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return;  // alert_rules refused it already
  const auto type = u->host_type();
  const std::string host = type == boost::urls::host_type::ipv6   ? u->host_ipv6_address().to_string()
                           : type == boost::urls::host_type::ipv4 ? u->host_ipv4_address().to_string()
                                                                  : std::string(u->host_name());
  const auto port = port_of(*u);
  if (destinations.host_allowed(host, port)) return;
  std::optional<std::string> refused;
  boost::system::error_code ec;
  if (const auto literal = boost::asio::ip::make_address(host, ec); !ec) {
    refused = destinations.refusal(literal);
  } else {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    for (const auto& entry : resolver.resolve(host, port, ec)) {
      if (auto why = destinations.refusal(entry.endpoint().address())) refused = why;
    }
  }
  if (refused) {
    spdlog::warn(
        "alerts: the SSRF guard refuses ALERT_WEBHOOK_URL's host ({} address): alerts will not be posted; allow it in "
        "WEBHOOK_ALLOWED_HOSTS",
        *refused);
  }
}

// The settings, once the queues' shards are known to suit the prefix (on a cluster): the
// check's error says what to set, where the queue's own would only say what is wrong.
workers_config checked(workers_config cfg) {
  cfg.shards.check_prefix(cfg.prefix, cfg.redis);
  return cfg;
}

}  // namespace

struct workers_app::impl {
  impl(net::any_io_executor ex, workers_config c)
      : ex(ex),
        cfg(checked(std::move(c))),
        ai(make_ai_provider(ex, cfg.ai)),
        webhooks(ex, "webhook-delivery", cfg.shards.webhooks, queue_options{cfg.prefix, cfg.redis}),
        readiness(ex,
                  {{"ai-processing", cfg.shards.ai},
                   {"document-processing", cfg.shards.documents},
                   {"webhook-delivery", cfg.shards.webhooks}},
                  queue_options{cfg.prefix, app::fast_fail(cfg.redis)}) {}

  // The options of the worker of the app queue `name` (a sharded worker gives each shard
  // its own dead-letter queue, in the shard's slot: sharded_worker.hpp).
  worker_options options(int concurrency, const std::string& name) const {
    worker_options o;
    o.prefix = cfg.prefix;
    o.redis = cfg.redis;
    o.concurrency = concurrency;
    o.name = (cfg.name.empty() ? std::string("drover-workers") : cfg.name) + "-" + name;
    o.metrics_max_data_points = 60 * 24 * 7;  // a week of per-minute points, for dashboards
    o.default_timeout = name == "ai-processing"         ? cfg.ai_job_timeout
                        : name == "document-processing" ? cfg.document_job_timeout
                                                        : cfg.webhook_job_timeout;
    if (cfg.dead_letters) o.dead_letter_queue = dead_letter_queue::name_for(name);
    o.dead_letters_kept = cfg.dead_letters_kept;
    if (name == "webhook-delivery") {
      // A receiver a user gave is that user's to fix; failures they can cause at will
      // must not push the answers that the API's own receiver missed out of the queue.
      o.dead_letter_if = [](const job& j) { return !user_given_delivery(j); };
      o.backoff_strategy = [](std::int64_t attempts_made, const std::string& type, const std::string& reason,
                              const job& j) {
        return webhook_backoff_strategy(attempts_made, type, j.opts.backoff ? j.opts.backoff->delay : 0, reason);
      };
    }
    return o;
  }

  // The worker of the app queue `name`: a worker, or a sharded worker whose shards share
  // `concurrency`. Each processor is timed under its own queue's name (a blocking
  // processor is not told which shard its job is from).
  void add(const std::string& name, const processor& p, int concurrency) {
    const auto shards = cfg.shards.of(name);
    if (shards == 0) {
      workers.push_back(
          std::make_unique<worker>(ex, name, jobs.timed(p, app::queue_shard{name}), options(concurrency, name)));
      worked.push_back(app::queue_shard{name});
      return;
    }
    auto timed = [this, p, name, shards](std::size_t index, const std::string&) {
      return jobs.timed(p, app::queue_shard{name, shards, index});
    };
    sharded.push_back(std::make_unique<sharded_worker>(ex, name, shards, timed, options(concurrency, name)));
  }

  // Each worker, and each shard of each sharded worker, with the queue it works.
  std::vector<std::pair<app::queue_shard, worker*>> every_worker() {
    std::vector<std::pair<app::queue_shard, worker*>> list;
    for (std::size_t k = 0; k < workers.size(); ++k) list.emplace_back(worked[k], workers[k].get());
    for (auto& w : sharded) {
      for (std::size_t s = 0; s < w->shards(); ++s) {
        list.emplace_back(app::queue_shard{w->name(), w->shards(), s}, &w->shard(s));
      }
    }
    return list;
  }

  // host:pid, this process among the fleet (the alert evaluators' lock holder).
  static std::string process_id() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return fmt::format("{}:{}", host, getpid());
  }

  // Every request, timed and counted by route.
  net::awaitable<httpd::response> handle(httpd::request req, std::string client_address) {
    const auto started = std::chrono::steady_clock::now();
    const auto method = req.method();
    std::string target(req.target());
    std::string route = target.substr(0, target.find('?'));
    if (route != "/healthz" && route != "/readyz" && route != "/metrics") route = "unmatched";
    auto res = co_await health(std::move(req), std::move(client_address));
    http_stats.observe(method, route, res.result_int(), std::chrono::steady_clock::now() - started);
    co_return res;
  }

  net::awaitable<httpd::response> metrics_page(const httpd::request& req) {
    co_await connectivity.probe();
    co_await queue_stats.refresh();
    std::vector<std::pair<app::queue_shard, const worker*>> list;
    for (auto& [where, w] : every_worker()) list.emplace_back(where, w);
    jobs.sample(list);
    co_return httpd::metrics_response(req, registry);
  }

  net::awaitable<httpd::response> health(httpd::request req, std::string client_address) {
    std::string target(req.target());
    target = target.substr(0, target.find('?'));
    const bool known = target == "/metrics" || target == "/healthz" || target == "/readyz";
    if (known && req.method() != httpd::http::verb::get && req.method() != httpd::http::verb::head) {
      // As the API's route table answers: these pages are read, never written.
      auto res = httpd::error_response(req, httpd::http::status::method_not_allowed,
                                       fmt::format("Method not allowed: {} takes GET and HEAD", target));
      res.set(httpd::http::field::allow, "GET, HEAD");
      co_return res;
    }
    if (target == "/metrics") {
      if (!metrics_open) {
        co_return httpd::error_response(req, httpd::http::status::forbidden, std::string(httpd::metrics_token_missing));
      }
      // Guessing METRICS_TOKEN is throttled as on the API (bearer_token.hpp).
      auto verdict = httpd::admit_bearer_token(std::string_view(req[httpd::http::field::authorization]),
                                               cfg.metrics_token, client_address, failed_tokens);
      if (verdict.retry_after.count() > 0) co_return httpd::too_many_requests_response(req, verdict.retry_after);
      if (!verdict.admitted) {
        auto res = httpd::error_response(req, httpd::http::status::unauthorized,
                                         "Authentication required: Authorization: Bearer <METRICS_TOKEN>");
        res.set(httpd::http::field::www_authenticate, "Bearer realm=\"metrics\"");
        co_return res;
      }
      co_return co_await metrics_page(req);
    }
    if (target == "/healthz") {
      json::object ok;
      ok["status"] = "ok";
      co_return httpd::json_response(req, httpd::http::status::ok, ok);
    }
    if (target == "/readyz") {
      std::string redis_state = "ok";
      try {
        auto probe = readiness.probe();  // named: GCC 12 and temporaries in co_await
        co_await std::move(probe);
      } catch (const std::exception& e) {
        // Which dependency is away, never why: driver messages name hosts.
        redis_state = "unavailable";
        spdlog::debug("readyz: redis: {}", e.what());
      }
      // Document jobs read their uploads from the database; chat answers search it.
      auto db_ping = connectivity.database_answers(std::chrono::milliseconds(1500));
      const bool db_answers = co_await std::move(db_ping);
      const std::string db_state = db_answers ? "ok" : "unavailable";
      const bool ready = redis_state == "ok" && db_state == "ok";
      json::object o;
      o["status"] = ready ? "ready" : "unavailable";
      o["redis"] = redis_state;
      o["database"] = db_state;
      co_return httpd::json_response(req, ready ? httpd::http::status::ok : httpd::http::status::service_unavailable,
                                     o);
    }
    co_return httpd::error_response(req, httpd::http::status::not_found, "Not found");
  }

  net::any_io_executor ex;
  workers_config cfg;
  app::metrics::registry registry;
  httpd::http_metrics http_stats{registry};
  httpd::login_throttle failed_tokens;  // wrong METRICS_TOKENs, per client address
  const bool metrics_open = !cfg.metrics_token.empty() || httpd::metrics_open_without_token(cfg.development, cfg.bind);
  job_metrics jobs{registry};
  app::connectivity_monitor connectivity{ex, registry, cfg.redis, ""};
  // Every queue under the prefix, so that a queue worked by another program shows too.
  app::queue_discovery discovery{ex, app::fast_fail(cfg.redis), cfg.prefix};
  app::metrics::queue_collector queue_stats{ex,
                                            registry,
                                            queue_options{cfg.prefix, app::fast_fail(cfg.redis)},
                                            [&discovery = discovery]() { return discovery.names(); },
                                            false,
                                            cfg.shards};
  std::unique_ptr<ai_provider> ai;
  app::app_queue webhooks;
  // Answers /readyz within about two seconds when Redis hangs (webhooks' commands wait 10 s).
  app::readiness_queues readiness;  // each queue it works (readiness_queues.hpp)
  std::unique_ptr<alert_evaluator> alerts;
  // One connection each: document processing writes chunks in long transactions that
  // prompt searches should not queue behind.
  std::unique_ptr<app::database> documents_db;
  std::unique_ptr<app::database> search_db;
  net::thread_pool search_pool{2};
  // Looks up the hosts of URLs users gave, on a resolver thread of its own
  // (http_request::lookups): one that never answers holds up no other lookup.
  net::thread_pool user_lookups{1};
  std::unique_ptr<document_search> search;
  extraction_process extractor{cfg.extract_helper, cfg.extraction};
  std::vector<std::unique_ptr<worker>> workers;  // of the plain queues
  std::vector<app::queue_shard> worked;          // the queue of workers[k]
  std::vector<std::unique_ptr<sharded_worker>> sharded;
  std::unique_ptr<httpd::http_server> http;
};

workers_app::workers_app(net::any_io_executor ex, workers_config cfg)
    : impl_(std::make_unique<impl>(ex, std::move(cfg))) {}

workers_app::~workers_app() = default;

void workers_app::start() {
  auto& i = *impl_;
  i.documents_db = app::open_database(i.cfg.database_url);
  app::migrate_and_say(*i.documents_db, i.cfg.database_url);  // safe beside the API doing the same
  i.search_db = app::open_database(i.cfg.database_url);
  i.search = std::make_unique<document_search>(document_search{*i.search_db, i.search_pool});
  i.add("ai-processing",
        generate_response_processor(*i.ai, i.webhooks, i.cfg.api_receiver, i.search.get(), i.cfg.replication,
                                    i.cfg.shards.ai),
        i.cfg.ai_concurrency);
  i.add("document-processing", document_processing_processor(*i.documents_db, i.extractor), i.cfg.document_concurrency);
  // Users' URLs share half the slots (at least one), the API's and alerts' the rest.
  const auto user_slots = std::max<std::size_t>(1, static_cast<std::size_t>(i.cfg.webhook_concurrency) / 2);
  i.add("webhook-delivery",
        webhook_delivery_processor(delivery_keys{i.cfg.webhooks, i.cfg.previous_webhooks}, i.cfg.api_receiver,
                                   i.cfg.webhook_destinations, i.cfg.user_webhook_destinations, user_slots,
                                   i.cfg.alerts.webhook_url, i.user_lookups.get_executor()),
        i.cfg.webhook_concurrency);
  for (auto& w : i.workers) w->start();
  for (auto& w : i.sharded) w->start();
  i.connectivity.watch_database(*i.search_db, i.search_pool);
  i.connectivity.start();
  if (!i.cfg.alerts.rules.empty()) {
    i.alerts = std::make_unique<alert_evaluator>(i.ex, i.cfg.alerts, queue_options{i.cfg.prefix, i.cfg.redis},
                                                 i.cfg.shards, i.webhooks, impl::process_id());
    i.alerts->start();
  }
  httpd::server_options ho;
  ho.bind = i.cfg.bind;
  ho.bind_setting = "WORKERS_BIND";
  ho.port = i.cfg.port;
  ho.metrics = &i.http_stats;
  i.http = std::make_unique<httpd::http_server>(
      i.ex, ho, [&i](httpd::request req, std::string peer) { return i.handle(std::move(req), std::move(peer)); });
  i.http->start();
  spdlog::info("workers: listening on http://{}:{} (/healthz, /readyz, /metrics)", ho.bind, i.http->port());
  if (!i.metrics_open) spdlog::warn("workers: /metrics answers 403: {}", httpd::metrics_token_missing);
  // The API's webhook goes where the API's own PORT or PUBLIC_URL says; the Workers app
  // lets only this address through its guard, so a mismatch refuses every answer.
  spdlog::info("workers: the API's webhook receiver is allowed at {} (PUBLIC_URL, else PORT: set them as the API's)",
               i.cfg.api_receiver.hosts_text);
  if (!i.cfg.alerts.webhook_url.empty())
    warn_if_guard_refuses_alerts(i.cfg.alerts.webhook_url, i.cfg.webhook_destinations);
  auto described = [&i](const char* name, int concurrency) {
    const auto shards = i.cfg.shards.of(name);
    return shards == 0 ? fmt::format("{} x{}", name, concurrency)
                       : fmt::format("{} x{} over {} shards", name, concurrency, shards);
  };
  spdlog::info("workers: {}, {}, {}; AI provider: {}", described("ai-processing", i.cfg.ai_concurrency),
               described("document-processing", i.cfg.document_concurrency),
               described("webhook-delivery", i.cfg.webhook_concurrency),
               i.cfg.ai.base_url.empty() ? std::string("echo (set AI_BASE_URL for a real model)")
                                         : app::redact_url(i.cfg.ai.base_url));
}

net::awaitable<void> workers_app::stop(std::chrono::milliseconds grace) {
  auto& i = *impl_;
  if (i.http) i.http->stop();
  if (i.alerts) i.alerts->stop();
  i.connectivity.stop();
  i.queue_stats.close();
  // The workers (and shards) close side by side, so that the whole shutdown takes one
  // grace period, not one each.
  int closing = 0;
  for (auto& w : i.workers) {
    ++closing;
    net::co_spawn(i.ex, w->close(grace), [&closing](std::exception_ptr) { --closing; });
  }
  for (auto& w : i.sharded) {
    ++closing;
    net::co_spawn(i.ex, w->close(grace), [&closing](std::exception_ptr) { --closing; });
  }
  net::steady_timer t(i.ex);
  while (closing > 0) {
    t.expires_after(std::chrono::milliseconds(20));
    co_await t.async_wait(net::use_awaitable);
  }
  i.webhooks.close();
  i.readiness.close();
}

std::uint16_t workers_app::port() const { return impl_->http ? impl_->http->port() : 0; }

}  // namespace drover::workers
