// generate_response.cpp - the ai-processing processor: prompt, streamed answer, webhook.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <drover/json.hpp>
#include <drover/tracing.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/blocking_call.hpp>
#include <drover_app/random_token.hpp>

#include "workers/ai_failure.hpp"
#include "workers/address_policy.hpp"
#include "workers/infrastructure_failure.hpp"
#include "workers/job_log_line.hpp"
#include "workers/processors.hpp"
#include "workers/delivery_policy.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::workers {

namespace {

// How long a second completion of a chat job is kept from queueing its webhook again.
constexpr std::int64_t delivery_dedup_ttl_ms = 24 * 3600 * 1000;

// How long an answer's delivery is queued again when Redis did not answer the add (pauses
// of 0.2, 0.4, 0.8, 1.6, then 2 s) before the attempt fails. The job's lock is renewed
// meanwhile on another connection, which may well work: a Redis refusing new connections
// (maxclients, or every sentinel away) to the one that adds deliveries failed each
// attempt in 7 s, and three attempts failed accepted sends for good (a cluster review).
// Within the job's own timeout (the API's chat jobs have 30 s), less a margin to end it
// here: past it the attempt is ended as timed out and its retry asks the model again,
// the very thing this patience is for (a cluster review).
constexpr std::chrono::seconds delivery_add_patience{60};
constexpr std::chrono::seconds delivery_add_timeout_margin{3};
// What one try may take against a Redis that does not answer (the apps' command timeout,
// 10 s, reached before a replication wait ends): no try starts that could end past the
// give-up time, or a silent Redis still took the attempt past its timeout.
constexpr std::chrono::seconds delivery_try_allowance{10};

std::chrono::steady_clock::time_point delivery_give_up_at(std::chrono::steady_clock::time_point attempt_started,
                                                          std::optional<std::int64_t> job_timeout_ms) {
  const auto now = std::chrono::steady_clock::now();
  auto at = now + delivery_add_patience;
  if (job_timeout_ms && *job_timeout_ms > 0) {
    at = std::min(at, attempt_started + std::chrono::milliseconds(*job_timeout_ms) - delivery_add_timeout_margin);
  }
  return std::max(at, now);  // at least one try
}

std::string text_field(const json::object& o, const char* name) {
  auto* v = o.if_contains(name);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_null()) return {};
  return drover::serialize_json(*v);
}

std::vector<chat_message> build_prompt(const json::object& data) {
  std::vector<chat_message> messages;
  std::string system = "You are a helpful assistant. Answer clearly and concisely.";
  const json::object* context = nullptr;
  if (auto* c = data.if_contains("context"); c && c->is_object()) context = &c->get_object();
  if (context) {
    if (auto* a = context->if_contains("assessment"); a && !a->is_null()) {
      system += "\nWhat we know about the user (their assessment): " + drover::serialize_json(*a);
    }
  }
  messages.push_back({"system", system});
  if (context) {
    if (auto* h = context->if_contains("history"); h && h->is_array()) {
      for (const auto& m : h->get_array()) {
        if (!m.is_object()) continue;
        auto role = text_field(m.get_object(), "role");
        if (role != "user" && role != "assistant") continue;
        messages.push_back({role, text_field(m.get_object(), "content")});
      }
    }
  }
  messages.push_back({"user", text_field(data, "message")});
  return messages;
}

// The best-matching chunks of the conversation's documents go into the system prompt,
// best first, within the size budget (a chunk that does not fit whole is left out).
void add_document_excerpts(std::vector<chat_message>& prompt, const std::vector<app::chunk_match>& hits,
                           std::size_t max_chars) {
  std::string excerpts;
  for (const auto& h : hits) {
    auto piece = fmt::format("[{}, part {}]\n{}\n\n", h.document_name, h.seq + 1, h.content);
    if (excerpts.size() + piece.size() > max_chars) continue;
    excerpts += piece;
  }
  if (excerpts.empty()) return;
  prompt.front().content +=
      "\n\nExcerpts from documents the user shared in this conversation; use them when they are relevant and "
      "say which document you rely on:\n\n" +
      excerpts;
}

// Progress updates while the answer streams in: at most one in flight and one per
// interval, so that a fast model does not flood Redis. Each lands in the events stream
// (BullMQ keeps ~10,000 entries), so the text so far goes with it only while it is short:
// past text_kept an update says how far the answer is (`bytes`, `chunks`), and the answer
// itself comes with the job's end (a review: 300 updates of up to 128 KiB per attempt).
struct progress_pump {
  explicit progress_pump(job_context& c) : ctx(c) {}
  job_context& ctx;
  std::string text;
  int chunks = 0;
  bool in_flight = false;
  std::chrono::steady_clock::time_point last{};
  static constexpr std::chrono::milliseconds interval{100};
  static constexpr std::size_t text_kept = 16 * 1024;

  json::value value() const {
    json::object o;
    if (text.size() <= text_kept) o["text"] = text;
    o["bytes"] = text.size();
    o["chunks"] = chunks;
    return o;
  }
};

net::awaitable<void> send_progress(std::shared_ptr<progress_pump> p) {
  try {
    auto value = p->value();
    co_await p->ctx.update_progress(value);
  } catch (const std::exception&) {
    // A lost progress update is not worth failing the answer for.
  }
  p->in_flight = false;
}

}  // namespace

processor generate_response_processor(ai_provider& ai, app::app_queue& webhooks,
                                      const api_receiver_address& api_receiver, document_search* documents,
                                      replication_options replication, std::size_t ai_shards) {
  auto respond = [&ai, &webhooks, &api_receiver, documents, replication,
                  ai_shards](job_context& ctx) -> net::awaitable<json::value> {
    const auto attempt_started = std::chrono::steady_clock::now();
    const auto& j = ctx.job();
    if (j.name != "generate-response") {
      throw unrecoverable_error(fmt::format("ai-processing has no processor for jobs named '{}'", j.name));
    }
    if (!j.data.is_object()) throw unrecoverable_error("generate-response needs an object as job data");
    const auto& data = j.data.get_object();
    if (text_field(data, "message").empty()) throw unrecoverable_error("generate-response needs data.message");

    auto ex = co_await net::this_coro::executor;
    auto pump = std::make_shared<progress_pump>(ctx);
    // Named locals, not temporaries, go into the coroutine call: GCC 12 destroys a
    // temporary converted into a by-value coroutine parameter twice.
    auto prompt = build_prompt(data);

    auto conversation = text_field(data, "conversationId");
    if (documents && !conversation.empty()) {
      auto* db = &documents->db;
      auto message = text_field(data, "message");
      std::size_t limit = documents->max_chunks;
      auto search = [db, conversation, message, limit]() {
        return db->search_document_chunks(conversation, message, limit);
      };
      const std::chrono::milliseconds deadline{5000};
      std::vector<app::chunk_match> hits;
      std::string search_failure;
      try {
        hits = co_await app::blocking_call(ex, documents->pool, search, deadline);
      } catch (const std::exception& e) {
        search_failure = e.what();
      }
      if (!search_failure.empty()) {
        // The answer is still worth giving without the documents.
        // The database's message names the search and the conversation already.
        spdlog::warn("{}: answering without documents: {}", job_log_line(ctx), search_failure);
        auto line = "document search failed, answering without documents: " + search_failure;
        co_await ctx.log(line);
      }
      add_document_excerpts(prompt, hits, documents->max_chars);
    }
    std::function<void(const std::string&)> on_delta = [pump, ex](const std::string& piece) {
      // A stopped attempt (timed out, cancelled, shut down) stops reading here too: a
      // stream whose bytes are always there already completes every read at once, and
      // no wait is left for the stop to cancel (a review saw three streams of one job).
      if (pump->ctx.cancel_reason() != cancellation::none) throw ai_error("the attempt was stopped");
      pump->text += piece;
      ++pump->chunks;
      auto now = std::chrono::steady_clock::now();
      if (pump->in_flight || now - pump->last < progress_pump::interval) return;
      pump->in_flight = true;
      pump->last = now;
      net::co_spawn(ex, send_progress(pump), net::detached);
    };
    completion result;
    std::exception_ptr failed;
    try {
      result = co_await ai.complete(std::move(prompt), on_delta);
    } catch (...) {
      failed = std::current_exception();
    }
    // A progress update still in flight uses ctx: wait for it, whatever happened, before
    // returning or rethrowing (ctx dies with this coroutine).
    net::steady_timer t(ex);
    while (pump->in_flight) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(net::use_awaitable);
    }
    if (failed) {
      // The job fails with the category; operators get the provider's detail, by job.
      try {
        std::rethrow_exception(failed);
      } catch (const ai_error& e) {
        // A stopped attempt (cancelled, timed out, handed back at shutdown) breaks off
        // its request: that is no provider fault to point operators at.
        const auto why = ctx.cancel_reason();
        if (why != cancellation::none) {
          spdlog::info("{}: the model's answer was broken off: the attempt was {}", job_log_line(ctx),
                       why == cancellation::cancelled ? "cancelled"
                       : why == cancellation::timeout ? "out of time"
                                                      : "handed back at shutdown");
        } else if (!e.detail().empty()) {
          spdlog::warn("{}: {}", job_log_line(ctx), e.detail());
        }
      } catch (...) {
      }
      // Too long an answer is not worth asking for again: a retry pays for another one,
      // which fails the same way.
      try {
        std::rethrow_exception(failed);
      } catch (const ai_error& e) {
        if (e.what() == ai_failure_reason(ai_failure::too_long)) throw unrecoverable_error(e.what());
        throw;
      }
    }
    // The final progress holds the whole answer when it is short (progress_pump). Like the
    // others it may be lost (Redis refusing writes at maxmemory): the answer itself is the
    // job's result, and failing the attempt over it would ask the model again.
    pump->text = result.text;
    pump->in_flight = true;
    auto final_progress = send_progress(pump);  // named: GCC 12 and temporaries in co_await
    co_await std::move(final_progress);

    json::object out;
    out["response"] = result.text;
    out["provider"] = result.provider;
    out["model"] = result.model;
    json::value out_value = out;

    // A cancel made since the worker last looked (every cancel_check_interval) is asked
    // for now: once the delivery is queued the answer reaches the conversation, and a
    // cancel answered "signalled" after the worker's last look failed the job "cancelled"
    // with its answer stored (a SQLite review, in the last quarter second of an answer).
    // What remains is the moment between this look and the finish, which checks again.
    // Redis not answering is no cancel: the delivery's add below waits for it, and the
    // finish checks again (failing the attempt here would ask the model again).
    bool stopped = false;
    try {
      auto looking = ctx.check_cancelled();  // named: GCC 12 and temporaries in co_await
      stopped = co_await std::move(looking);
    } catch (const drover::error& e) {
      spdlog::warn("{}: cannot ask whether it was cancelled before queueing its answer ({}); going on",
                   job_log_line(ctx), e.what());
    }
    if (stopped) throw ai_error("the attempt was stopped");

    // Option C of the seed: tell the API through a webhook, queued so that it survives an
    // API restart. The delivery's id (also its webhook-id) is 128 random bits, so nobody can
    // guess another user's delivery (issue 12); BullMQ's deduplication on
    // job-completed-<jobId>-<timestamp> makes a second completion of this job (a stalled job run again)
    // queue it only once. The TTL keeps that promise after the delivery finishes, for as
    // long as a job can be run twice in practice.
    // The API's own receiver (webhookUrl), and the URL the send gave (userWebhookUrl), each
    // a delivery of its own.
    std::vector<std::pair<std::string, std::string>> targets;  // url, deduplication prefix
    if (auto own = text_field(data, "webhookUrl"); !own.empty()) targets.emplace_back(own, "job-completed");
    const auto* api_marked = data.if_contains("apiReceiver");
    const bool own_is_api = api_marked && api_marked->is_bool() && api_marked->get_bool();
    if (auto given = text_field(data, "userWebhookUrl");
        !given.empty() && (targets.empty() || given != targets[0].first)) {
      targets.emplace_back(given, "user-webhook");
    }
    // The delivery to the send's own webhookUrl, which its sender may look up
    // (GET /api/webhooks/deliveries/:id): its id was only in a request that may never
    // have arrived (an API client's review could not learn why nothing came).
    std::string user_delivery_id;
    for (const auto& target : targets) {
      const std::string& url = target.first;
      const std::string& dedup_prefix = target.second;
      // The id the API handed out: on a sharded queue, "<shard>-<id>".
      const auto job_id = app::app_job_id_in(ctx.queue_key(), "ai-processing", j.id);
      json::object payload;
      payload["jobId"] = job_id;
      // With the id, the identity of this job that survives a Redis data loss (ids
      // start again at 1): the API keys its idempotency on both.
      payload["timestamp"] = j.timestamp;
      payload["conversationId"] = text_field(data, "conversationId");
      payload["userId"] = text_field(data, "userId");
      payload["status"] = "completed";
      payload["result"] = out_value;
      // The API's receiver as the API named it; a job from an API before apiReceiver held a
      // user's URL in webhookUrl, known by its address alone.
      const bool to_api = own_is_api && dedup_prefix == "job-completed";
      // The API's own: which stored message this answers, so that it can tell this job's
      // record from a later job's of the same id (not sent to a user's URL: a row id).
      if (const auto* m = data.if_contains("messageId"); to_api && m && m->is_int64()) {
        payload["messageId"] = *m;
      }
      json::object delivery;
      delivery["url"] = url;
      delivery["payload"] = std::move(payload);
      if (to_api) delivery["apiReceiver"] = true;  // the delivery worker's one test of it
      job_options opts;
      opts.job_id = app::random_hex(16);
      // Deduplication holds only within one shard: a sharded webhook-delivery puts every
      // delivery of this job on one shard (below).
      // The id with the job's timestamp: ids can be handed out again (a failover that lost
      // the newest adds), and a later job's answer must not count as this one's repeat.
      std::string dedup_id = fmt::format("{}-{}-{}", dedup_prefix, job_id, j.timestamp);
      opts.deduplication["id"] = dedup_id;
      opts.deduplication["ttl"] = delivery_dedup_ttl_ms;
      // With the API's mark on the job, a URL the user gave is the user's wherever it points:
      // by address, http://x@<the API>/api/webhooks/job-completed passed as the API's own,
      // signed with WEBHOOK_SECRET and outside the user's limits (a security review).
      const auto receiver = to_api       ? webhook_receiver::configured
                            : own_is_api ? webhook_receiver::user_given
                                         : api_receiver.receiver_of(url);
      use_delivery_policy(opts, receiver);
      opts.remove_on_complete = 1000;
      opts.replication = replication;
      // The delivery joins the chat job's trace (docs/tracing.md).
      if (auto parent = trace_parent_of(j.opts)) set_trace_parent(opts, *parent);
      json::value delivery_value = std::move(delivery);
      std::string delivery_name = "job-completed";
      // Beside this job's shard when ai-processing is sharded, else on the shard of the
      // deduplication id: either way always the same shard for this job.
      const auto& queue_key = ctx.queue_key();
      const auto own_queue = std::string_view(queue_key).substr(queue_key.rfind(':') + 1);
      const auto own_shard = ai_shards > 0 ? app::shard_index_of(own_queue, "ai-processing") : std::nullopt;
      // The answer is paid for: an add that Redis did not answer is tried again here for a
      // while (the deduplication id makes a repeat return the delivery that may have
      // landed) rather than failing the attempt, whose retry would ask the model again and
      // could end "failed" although the answer was delivered.
      net::steady_timer pause_timer(ex);
      std::chrono::milliseconds pause{200};
      const auto give_up_at = delivery_give_up_at(attempt_started, j.opts.timeout);
      for (int tries = 1;; ++tries) {
        std::optional<drover::error> unconfirmed;
        try {
          std::optional<job> added;
          if (own_shard) {
            auto add = webhooks.add_beside(delivery_name, delivery_value, opts, *own_shard, ai_shards);
            added = co_await std::move(add);
          } else {
            auto add = webhooks.add(delivery_name, delivery_value, opts, dedup_id);
            added = co_await std::move(add);
          }
          if (dedup_prefix == "user-webhook") user_delivery_id = added->id;
        } catch (const drover::error& e) {
          const bool worth_again = e.is(errc::redis_unavailable) || e.is(errc::redis_timeout);
          const bool last = std::chrono::steady_clock::now() + pause + delivery_try_allowance > give_up_at ||
                            ctx.cancel_reason() != cancellation::none;
          // The master holds the delivery (not_replicated comes after the add ran there):
          // failing the attempt would not make it safer, only ask the model again and end
          // the job "failed" with its answer in the conversation (an operator's drill); and
          // asking the replicas again held the job's slot for 7 s, so that on sharded
          // queues one master without a replica starved the other shards of the shared
          // budget (a cluster review: answers on healthy shards waited 12 to 54 s).
          if (e.is(errc::not_replicated)) {
            spdlog::warn(
                "generate-response {}: the answer's delivery is queued on the master, but its replicas did not "
                "confirm it within REDIS_REPLICATION_TIMEOUT_MS; completing the job (the delivery is lost only if "
                "the master fails before they catch up)",
                j.id);
            break;
          }
          if (!worth_again || last) throw;
          unconfirmed = e;
        }
        if (!unconfirmed) break;
        if (tries == 1 || tries % 10 == 0) {
          const auto left =
              std::chrono::duration_cast<std::chrono::seconds>(give_up_at - std::chrono::steady_clock::now());
          spdlog::warn("{}: queueing the answer's delivery (try {}, for up to {} s more): {}", job_log_line(ctx), tries,
                       left.count(), unconfirmed->what());
        }
        pause_timer.expires_after(pause);
        co_await pause_timer.async_wait(net::use_awaitable);
        pause = std::min(pause * 2, std::chrono::milliseconds(2000));
      }
    }
    if (!user_delivery_id.empty() && out_value.is_object())
      out_value.as_object()["webhookDeliveryId"] = user_delivery_id;
    co_return out_value;
  };
  // Redis's and the database's errors name hosts: the user reads a category, the log the
  // detail (infrastructure_failure.hpp).
  return processor::async([respond](job_context& ctx) -> net::awaitable<json::value> {
    std::optional<std::string> category;
    std::string detail;
    try {
      auto run = respond(ctx);
      co_return co_await std::move(run);
    } catch (const std::exception& e) {
      category = infrastructure_failure(e);
      if (!category) throw;
      detail = e.what();
    }
    spdlog::warn("{}: {}", job_log_line(ctx), detail);
    throw std::runtime_error(*category);
  });
}

}  // namespace drover::workers
