// chat_routes.cpp - the chat API: send a message, poll a job, read the history, store an
// assessment, and receive the job-completed webhook.
#include "api/chat_routes.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include <drover/json.hpp>
#include <drover/queue.hpp>
#include <drover_app/clock.hpp>
#include <drover_app/job_completed_receiver.hpp>
#include <drover_app/job_snapshot.hpp>
#include <drover_app/logging/log_throttle.hpp>
#include <drover_app/redis_refusal.hpp>
#include <drover_app/webhook_signature.hpp>

#include "api/auth/jwt_verifier.hpp"
#include "api/client_ids.hpp"
#include "api/ended_job.hpp"
#include "api/ended_job_retention.hpp"
#include "api/gone_job.hpp"
#include "api/history_page.hpp"
#include "api/http_error.hpp"
#include "api/idempotency_key.hpp"
#include "api/job_room.hpp"
#include "api/job_owner.hpp"
#include "api/request_span.hpp"
#include "api/send_batches.hpp"
#include "api/user_backlog.hpp"
#include "api/user_reads.hpp"
#include "api/routing/request_body.hpp"
#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

namespace {

constexpr std::size_t max_message_bytes = 32 * 1024;
// Every send copies its webhookUrl into the job, its job_logs row and the delivery job:
// without a bound one user could store megabytes per send. Browsers and proxies cap URLs
// near this length too.
constexpr std::size_t max_webhook_url_bytes = 2048;
// What one send may put into Redis besides its message: each job carries the previous
// messages and the user's assessment, copied, so that a worker needs no database. Without
// a bound, one user at the allowed send rate filled a gigabyte of Redis in 160 sends.
constexpr std::size_t max_history_chars = 64 * 1024;  // the newest messages that fit
constexpr std::size_t max_assessment_bytes = 16 * 1024;
// The assessment goes two levels down into each job's data (context.assessment), which
// must parse back within drover::max_json_depth: a 1,000-deep assessment was accepted and
// then made every chat job of its user unreadable, owner included. No assessment needs
// more than a few levels.
constexpr std::size_t max_assessment_depth = 32;

http_error bad_request(const std::string& message) { return http_error(http::status::bad_request, message); }

// PostgreSQL cannot store NUL in text; refusing it here keeps both databases alike.
void reject_nul(const char* name, std::string_view text) {
  if (text.find('\0') != std::string_view::npos)
    throw bad_request(fmt::format("'{}' must not contain NUL characters", name));
}

// Calls visit(value, depth) for every value of a document (the document itself at depth
// 1) and visit_key(key) for every object key. A loop, not recursion: the document's depth
// is the client's to choose.
template <class Visit, class VisitKey>
void walk_json(const json::value& document, Visit visit, VisitKey visit_key) {
  std::vector<std::pair<const json::value*, std::size_t>> todo{{&document, 1}};
  while (!todo.empty()) {
    const auto [v, depth] = todo.back();
    todo.pop_back();
    visit(*v, depth);
    if (v->is_array()) {
      for (const auto& e : v->get_array()) todo.emplace_back(&e, depth + 1);
    } else if (v->is_object()) {
      for (const auto& kv : v->get_object()) {
        visit_key(kv.key());
        todo.emplace_back(&kv.value(), depth + 1);
      }
    }
  }
}

// The same for every key and string of a JSON document (PostgreSQL's jsonb refuses
// \u0000 too).
void reject_nul_in(const char* name, const json::value& document) {
  walk_json(
      document,
      [name](const json::value& v, std::size_t) {
        if (v.is_string()) reject_nul(name, v.get_string());
      },
      [name](std::string_view key) { reject_nul(name, key); });
}

// Whether an assessment (an object: its members one level down) nests deeper than
// max_assessment_depth.
bool assessment_too_deep(const json::value& assessment) {
  std::size_t deepest = 0;
  walk_json(
      assessment, [&deepest](const json::value&, std::size_t depth) { deepest = std::max(deepest, depth); },
      [](std::string_view) {});
  return deepest > max_assessment_depth + 1;
}

// An id given as a string or an integer (id_text), checked as every route checks one.
std::string id_field(const json::object& o, const char* name, bool required = true,
                     std::size_t longest = max_id_chars) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) {
    if (!required) return {};
    throw bad_request(fmt::format("'{}' is required", name));
  }
  auto given = id_text(*v);
  if (!given || given->empty()) throw bad_request(fmt::format("'{}' must be a non-empty string or an integer", name));
  reject_nul(name, *given);
  if (given->size() > longest) throw bad_request(fmt::format("'{}' is longer than {} bytes", name, longest));
  return std::move(*given);
}

// The conversation a request names, as every route accepts one (client_ids.hpp).
std::string conversation_id_field(const json::object& o) {
  auto id = id_field(o, "conversationId");
  if (!valid_conversation_id(id)) {
    throw bad_request("'conversationId' must be 1 to " + std::to_string(max_id_chars) +
                      " bytes of UTF-8, without NUL, and not '.' or '..' (a URL cannot name them)");
  }
  return id;
}

// The user a request acts for. With a verified identity a userId the request names must
// be that identity's (403: the caller knows who they are, so nothing leaks); the
// development caller acts for whoever the request names.
std::string acting_user(const caller& who, const std::string& named) {
  if (who.development) return named.empty() ? std::string("dev") : named;
  if (!named.empty() && named != who.user) {
    throw http_error(http::status::forbidden, "'userId' must be the authenticated user");
  }
  return who.user;
}

http_error job_not_found() { return http_error(http::status::not_found, "Job not found"); }

// How long a send's deduplication id holds its job in Redis: a retry with the same
// Idempotency-Key within it is answered with the first job, even when that job's add
// was never confirmed to this API (a 503). Later, only a job id recorded on the stored
// message (set_message_job) answers it; without one a new job is queued for it.
constexpr std::int64_t send_dedup_ttl_ms = 24 * 3600 * 1000;

// The 503 of a send whose add Redis did not confirm. Redis may have run it all the same
// (a command timeout after the write: the fault review's 93 of 93), so the message tells
// how to retry without a second answer; unless Redis refused the add outright
// (redis_refusal.hpp), when nothing of the job was stored.
http_error add_not_confirmed(const drover::error& e, bool keyed) {
  const auto refused = drover::app::redis_refusal(e);
  std::string what =
      e.is(errc::not_replicated)
          ? "Queue not replicated: Redis's replicas did not confirm the job in time, and it may still run"
      : refused ? fmt::format("Queue unavailable: {}; the job was not queued", *refused)
                : "Queue unavailable: Redis did not confirm the job, and it may still run";
  if (keyed) {
    what += "; retry with the same Idempotency-Key header, which answers the message once";
  } else if (!refused) {
    what +=
        "; a retry may answer the message twice: send it with an Idempotency-Key header and retry with the same "
        "key to have it answered once";
  }
  return http_error(http::status::service_unavailable, what);
}

// Where a send's answer goes: always to the API's own receiver, which stores it in the
// conversation and pushes ai-response (a send with a webhookUrl of its own kept no answer
// in its conversation), and also to the webhookUrl the send gave, if any.
struct answer_targets {
  std::string own;
  std::string user_given;  // empty: none
};

// The send's job data: the message, the context it is answered in, where the answer goes.
json::object job_data(const std::string& conversation_id, const std::string& user_id, const std::string& message,
                      const drover::app::saved_user_message& ctx, const answer_targets& webhook) {
  // The newest messages that fit, oldest first.
  std::size_t fit = 0, chars = 0;
  for (auto m = ctx.history.rbegin(); m != ctx.history.rend() && chars + m->content.size() <= max_history_chars; ++m) {
    chars += m->content.size();
    ++fit;
  }
  json::array history;
  for (auto m = ctx.history.end() - static_cast<std::ptrdiff_t>(fit); m != ctx.history.end(); ++m) {
    json::object h;
    h["role"] = m->role;
    h["content"] = m->content;
    history.push_back(std::move(h));
  }
  json::value assessment = nullptr;
  if (ctx.assessment) {
    boost::system::error_code ec;
    assessment = drover::parse_json(*ctx.assessment, ec);
    // One stored before its depth was bounded is left out rather than failing the job.
    if (ec || assessment_too_deep(assessment)) assessment = nullptr;
  }
  json::object data;
  data["conversationId"] = conversation_id;
  data["userId"] = user_id;
  data["message"] = message;
  data["messageId"] = ctx.message_id;
  json::object context_json;
  context_json["history"] = std::move(history);
  context_json["assessment"] = std::move(assessment);
  data["context"] = std::move(context_json);
  data["webhookUrl"] = webhook.own;
  // Says that webhookUrl is this API's own receiver (an API before this field put a
  // user's URL there): the Workers app delivers to it as to the API's, whatever address
  // it derives for the API itself, and a mismatch is a configuration to mend that its
  // retries wait for, not a user's URL given up after 5 tries.
  data["apiReceiver"] = true;
  if (!webhook.user_given.empty()) data["userWebhookUrl"] = webhook.user_given;
  return data;
}

// A plain global: GCC 12 has crashed on statics inside coroutines (docs/contributing.md).
drover::app::log_throttle add_outage_log{std::chrono::seconds(5)};

// The add shares one pipeline with the sends of the same moment (send_batches). Its
// pending job_logs row comes from the job's "added" event (job_event_relay), so a 200
// never depends on the API living past it.
net::awaitable<job> add_send(api_context& app, new_job to_add, bool keyed) {
  try {
    auto add = app.sends.add(std::move(to_add));
    co_return co_await std::move(add);
  } catch (const drover::error& e) {
    if (e.is(errc::invalid_argument)) throw;
    add_outage_log.warn("POST /api/chat/send: add not confirmed: {}", e.what());
    throw add_not_confirmed(e, keyed);
  }
}

json::object accepted(const std::string& job_id, bool duplicate) {
  json::object out;
  out["status"] = "processing";
  out["jobId"] = job_id;
  out["message"] = "Your message was received; the answer is being generated";
  if (duplicate) out["duplicate"] = true;
  return out;
}

// The message id a chat job's data (its job_logs payload, its answer's webhook) names,
// when it names one.
std::optional<std::int64_t> message_id_in(const json::object* o) {
  const auto* id = o ? o->if_contains("messageId") : nullptr;
  if (id && id->is_int64()) return id->get_int64();
  if (id && id->is_uint64()) return static_cast<std::int64_t>(id->get_uint64());
  return std::nullopt;
}

// Whether message `message_id` of the conversation is another than the one job `job_id`
// answers: a database restored from a backup gives the ids of the messages it lost to new
// ones, and the lost message's late answer took the new one's place (its one answer per
// message), while the new message's own answer was dropped (an operator's restore). A
// message is stored before its job is added, by the same API, so one stored after the job
// was made (`job_created_ms`, with a second for the clocks of two APIs, one of which
// retried a keyed send) is another; so is one whose recorded job (a keyed send's) is
// another job. A message not in the conversation (deleted, or lost with the backup)
// leaves the answer taken as its.
bool answers_another_message(drover::app::database& db, const std::string& conversation_id, std::int64_t message_id,
                             const std::string& job_id, std::optional<std::int64_t> job_created_ms) {
  constexpr std::int64_t clock_skew_ms = 1000;
  const auto found = db.list_messages(conversation_id, 1, message_id + 1);
  if (found.empty() || found.front().id != message_id) return false;
  const auto& m = found.front();
  return m.role != "user" || (m.job_id && *m.job_id != job_id) ||
         (job_created_ms && m.created_at_ms > *job_created_ms + clock_skew_ms);
}

// Whether `job_id`, stored on message `message_id` by its first send, still names that
// message's job. Job ids start again at 1 when Redis loses its data: the id may name
// another message's job then, or nothing, and this message's job is lost (an operator's
// drill: a retry with the message's Idempotency-Key was answered with another message's
// job and answer, and the message never again). A job that ended and left Redis still
// names it through its job_logs row. When Redis or the database cannot say, it is taken
// to be the message's, as before the check.
net::awaitable<bool> still_this_messages_job(api_context& app, const std::string& job_id, std::int64_t message_id) {
  try {
    auto read = app::read_job_snapshot(app.ai_queue, job_id);
    auto [state, j] = co_await std::move(read);
    if (j) co_return message_id_in(j->data.if_object()).value_or(message_id) == message_id;
    auto* db = &app.db;
    auto work = [db, job_id]() { return db->get_job_log("ai-processing", job_id); };
    auto row = co_await app.in_db(work);
    if (!row || !row->payload_json) co_return false;  // gone before the relay recorded it
    // Gone from Redis before it finished: Redis lost it (a finished job stays an hour
    // and its end is recorded long before it goes), or a drain removed it; whether its
    // row still says it waits or was made failed for it already (a review's retry after
    // the reconciler had done so was answered with the lost job, and never queued).
    if (left_redis_unanswered(*row)) co_return false;
    boost::system::error_code ec;
    const auto payload = drover::parse_json(*row->payload_json, ec);
    co_return ec || message_id_in(payload.if_object()).value_or(message_id) == message_id;
  } catch (const std::exception& e) {
    spdlog::debug("POST /api/chat/send: job {} not checked: {}", job_id, e.what());
    co_return true;
  }
}

// A send with an Idempotency-Key: the message is stored once per (user, key), and its
// job added under a deduplication id of the same, so that a retry after any failure
// (the add refused before Redis saw it, or run by Redis after this API gave up on it)
// ends with one message and one job, whose id every attempt answers.
net::awaitable<response> send_once(api_context& app, route_request& r, const std::string& key,
                                   drover::app::user_message_to_save to_save, const answer_targets& webhook,
                                   job_options opts, span& traced) {
  auto scoped = scoped_send_key(to_save.user_id, key);
  auto* db = &app.db;
  auto save_work = [db, scoped, to_save]() { return db->save_user_message_once(scoped, to_save); };
  auto saved = co_await app.in_db(save_work);
  if (!saved) throw http_error(http::status::not_found, "Conversation not found");
  if (saved->duplicate && (saved->conversation_id != to_save.conversation_id || saved->content != to_save.content)) {
    throw http_error(http::status::unprocessable_entity,
                     "'Idempotency-Key' was used for another message: a retry must send the same conversationId "
                     "and message, and a new message a new key");
  }
  if (saved->job_id) {
    auto checking = still_this_messages_job(app, *saved->job_id, saved->saved.message_id);
    if (co_await std::move(checking)) {
      traced.set_attribute("bullmq.job.id", *saved->job_id);
      co_return json_response(r.req, http::status::ok, accepted(*saved->job_id, true));
    }
    spdlog::warn(
        "POST /api/chat/send: job {} of message {} is gone from Redis unfinished or its id names another job "
        "now (did Redis lose its data?): the message is queued again",
        *saved->job_id, saved->saved.message_id);
  }
  // After the duplicate's answer, which takes no place: a retry of a send already queued
  // is answered at the cap too. A send refused here keeps its message, and a retry with
  // the same key queues its job once a place is free.
  auto place = app.backlog.enter(to_save.user_id);
  opts.deduplication["id"] = scoped;
  opts.deduplication["ttl"] = send_dedup_ttl_ms;
  auto data = job_data(to_save.conversation_id, to_save.user_id, to_save.content, saved->saved, webhook);
  new_job to_add{"generate-response", json::value(std::move(data)), std::move(opts)};
  auto j = co_await add_send(app, std::move(to_add), true);
  place.accepted(j.id);
  traced.set_attribute("bullmq.job.id", j.id);
  // Lets a retry after the deduplication id's ttl find the job; the answer does not wait
  // for it to succeed, since a retry within the ttl finds the job through Redis.
  const auto message_id = saved->saved.message_id;
  auto record_work = [db, message_id, job_id = j.id, lost = saved->job_id]() {
    db->set_message_job(message_id, job_id, lost);
  };
  try {
    co_await app.in_db(record_work);
  } catch (const std::exception& e) {
    spdlog::warn("POST /api/chat/send: job {} not recorded on message {}: {}", j.id, message_id, e.what());
  }
  co_return json_response(r.req, http::status::ok, accepted(j.id, saved->duplicate));
}

net::awaitable<response> send(api_context& app, route_request& r) {
  const auto& req = r.req;
  auto traced = start_request_span(req, "POST /api/chat/send");
  auto key = idempotency_key_of(req);
  auto body = json_object_body(req);
  auto conversation_id = conversation_id_field(body);
  // As long as a token's subject may be: a user with a long one names themselves (it was
  // refused past the ids' 200 bytes).
  auto user_id = acting_user(r.who, id_field(body, "userId", r.who.development, auth::jwt_verifier::max_subject_bytes));
  const auto* msg = body.if_contains("message");
  if (!msg || !msg->is_string() || msg->get_string().empty()) {
    throw bad_request("'message' is required and must be a non-empty string");
  }
  std::string message(msg->get_string());
  reject_nul("message", message);
  // Control characters serve no chat and cost six bytes each in the job's JSON: C0 but
  // tab and line breaks, DEL, and C1 (U+0080 to U+009F, C2 80 to C2 9F in UTF-8; an i18n
  // review found them let through).
  bool control = false;
  for (std::size_t i = 0; i < message.size() && !control; ++i) {
    const auto c = static_cast<unsigned char>(message[i]);
    control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F ||
              (c == 0xC2 && i + 1 < message.size() && static_cast<unsigned char>(message[i + 1]) <= 0x9F &&
               static_cast<unsigned char>(message[i + 1]) >= 0x80);
  }
  if (control) throw bad_request("'message' must not contain control characters other than tab and line breaks");
  if (message.size() > max_message_bytes)
    throw bad_request(fmt::format("'message' is longer than {} bytes of UTF-8", max_message_bytes));
  job_options opts;
  opts.attempts = 3;
  opts.backoff = backoff_options{"exponential", 2000, std::nullopt};
  opts.timeout = 30000;
  opts.replication = app.cfg.replication;
  keep_ended_jobs_a_while(opts);                                  // GET /api/chat/job/:id reads job_logs after that
  if (auto ctx = traced.context()) set_trace_parent(opts, *ctx);  // the job's spans go under the request's
  std::optional<std::int64_t> requested_priority;
  if (const auto* p = body.if_contains("priority"); p && !p->is_null()) {
    if (!p->is_int64() || p->get_int64() < 1 || p->get_int64() > 2097151) {
      throw bad_request("'priority' must be an integer from 1 (highest) to 2097151");
    }
    requested_priority = p->get_int64();
  }
  // The tier follows the verified user; a request can only ask for less urgency.
  opts.priority = app.cfg.priorities.priority_for(user_id, requested_priority);
  answer_targets webhook{app.cfg.own_webhook_url(), {}};
  if (const auto* w = body.if_contains("webhookUrl"); w && !w->is_null()) {
    // Any URI: a fragment is no part of what is sent (it is dropped), and a scheme's case
    // does not matter (RFC 3986 3.1); both were refused as "not an http URL".
    auto parsed = w->is_string() ? boost::urls::parse_uri(w->get_string()) : boost::urls::parse_uri("");
    const bool ascii = w->is_string() && std::all_of(w->get_string().begin(), w->get_string().end(),
                                                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (w->is_string() && !ascii) {
      // An IRI, as a browser's address bar shows one (an i18n review was told "not an http
      // URL"): the URL it stands for is what a client must send.
      throw bad_request(
          "'webhookUrl' must be written in ASCII: percent-encode the path's other characters (as "
          "new URL(...).href does) and write the host in punycode (xn--...)");
    }
    if (!w->is_string() || !parsed ||
        (parsed->scheme_id() != boost::urls::scheme::http && parsed->scheme_id() != boost::urls::scheme::https) ||
        parsed->encoded_host().empty()) {
      throw bad_request("'webhookUrl' must be an http or https URL");
    }
    if (w->get_string().size() > max_webhook_url_bytes) {
      throw bad_request(fmt::format("'webhookUrl' is longer than {} bytes", max_webhook_url_bytes));
    }
    // A user name and password in the URL would be stored with the job and shown with it
    // (job_logs, the dashboard, the deliveries), and no delivery sends them: the receiver
    // checks the signature instead (docs/webhooks.md).
    if (parsed->has_userinfo()) {
      throw bad_request(
          "'webhookUrl' must not carry a user name or password; your receiver verifies each delivery's signature");
    }
    boost::urls::url given(*parsed);
    given.remove_fragment();
    given.normalize_scheme();  // "HTTPS://", stored as "https://": one spelling for every comparison
    webhook.user_given = std::string(given.buffer());
  }

  drover::app::user_message_to_save to_save{conversation_id, user_id, message, app.cfg.history_limit,
                                            !r.who.development};
  if (key) {
    auto keyed = send_once(app, r, *key, std::move(to_save), webhook, std::move(opts), traced);
    co_return co_await std::move(keyed);
  }
  // Held until the job is added (then it counts until the job ends) or the send fails.
  auto place = app.backlog.enter(user_id);

  // Save the user's message and gather the context in one trip to the database, shared
  // with the sends that arrive meanwhile (send_batches); a conversation someone else
  // started is refused without writing anything. When the add then fails the message
  // stays: the connection layer reports a refused connection and a reply lost after the
  // write alike (redis_unavailable), so nothing proves that Redis never ran the add.
  auto save = app.sends.saves.submit(std::move(to_save));
  auto saved = co_await std::move(save);
  if (!saved) throw http_error(http::status::not_found, "Conversation not found");

  auto data = job_data(conversation_id, user_id, message, *saved, webhook);
  new_job to_add{"generate-response", json::value(std::move(data)), std::move(opts)};
  auto j = co_await add_send(app, std::move(to_add), false);
  place.accepted(j.id);
  traced.set_attribute("bullmq.job.id", j.id);
  co_return json_response(req, http::status::ok, accepted(j.id, false));
}

net::awaitable<response> job_status(api_context& app, route_request& r) {
  std::string job_id = r.param("jobId");
  auto read = app::read_job_snapshot(app.ai_queue, job_id);
  auto [state, j] = co_await std::move(read);
  if (!j) {
    // Redis keeps it an hour after its end (completed_kept_s); job_logs holds the rest.
    auto ended = co_await ended_chat_job(app, r.who, job_id);
    if (!ended) throw job_not_found();
    json::object out = std::move(ended->outcome);
    out["status"] = ended->status;
    co_return json_response(r.req, http::status::ok, out);
  }
  if (!r.who.owns(user_of_job_data(j->data))) throw job_not_found();
  json::object out;
  out["status"] = to_string(state);
  if (state == job_state::completed) {
    out["result"] = j->returnvalue;
  } else if (state == job_state::failed) {
    out["error"] = j->failed_reason.value_or("");
  } else {
    out["progress"] = j->progress;
  }
  co_return json_response(r.req, http::status::ok, out);
}

net::awaitable<response> history(api_context& app, route_request& r) {
  // A page reads up to 201 whole messages before it is cut to its bytes.
  const auto reading = app.reads.enter(r.who.user);
  std::string conversation_id = r.param("conversationId");
  auto* db = &app.db;
  if (!r.who.development) {
    // Missing and someone else's look alike: no oracle for which ids exist.
    auto owner_work = [db, conversation_id]() { return db->conversation_owner(conversation_id); };
    auto owner = co_await app.in_db(owner_work);
    if (!owner || !r.who.owns(*owner)) throw http_error(http::status::not_found, "Conversation not found");
  }
  // One more than the page holds, to know whether older ones remain.
  const auto q = history_query_of(r.query("limit"), r.query("before"));
  auto work = [db, conversation_id, q]() { return db->list_messages(conversation_id, q.count + 1, q.before); };
  auto messages = co_await app.in_db(work);
  auto out = history_page(conversation_id, std::move(messages), q.count);
  co_return json_response(r.req, http::status::ok, out);
}

net::awaitable<response> put_assessment(api_context& app, route_request& r) {
  auto user_id = acting_user(r.who, r.param("userId"));
  auto body = json_object_body(r.req);
  reject_nul_in("assessment", body);
  if (assessment_too_deep(body)) {
    throw bad_request(fmt::format("the assessment nests deeper than {} levels", max_assessment_depth));
  }
  auto text = drover::serialize_json(body);
  // It goes into every chat job of the user's.
  if (text.size() > max_assessment_bytes) {
    throw http_error(http::status::payload_too_large,
                     fmt::format("the assessment is {} bytes of JSON; at most {}", text.size(), max_assessment_bytes));
  }
  auto* db = &app.db;
  auto work = [db, user_id, text]() { db->put_assessment(user_id, text); };
  co_await app.in_db(work);
  json::object out;
  out["status"] = "saved";
  out["userId"] = user_id;
  co_return json_response(r.req, http::status::ok, out);
}

// A signature that does not match is most often the two apps' WEBHOOK_SECRETs differing (a
// rotation half done): the workers retry, and the operator must be told why answers wait.
// Once a minute at most, since anyone can post here. A plain function: GCC 12 has crashed
// on statics inside coroutines (docs/contributing.md).
bool webhook_mismatch_warning_due() {
  static std::atomic<std::int64_t> last_warned_ms{0};
  const auto now = drover::app::now_ms();
  auto last = last_warned_ms.load();
  return now - last >= 60'000 && last_warned_ms.compare_exchange_strong(last, now);
}

// An answer that completed its job's row (job_completed_webhook): when Redis no longer has the job, it
// lost it while it ran, the worker's completion was refused and no event will come, so
// its subscribers hear the end from here and its sender's place is freed (a review's
// subscribe-job clients waited for ever). A job Redis still has ends by its own event,
// whose result may hold more than the answer (webhookDeliveryId). Redis not answering
// leaves it to the relay, as before.
net::awaitable<void> tell_end_of_lost_job(api_context& app, const std::string& job_id, const json::object& body) {
  try {
    auto read = app::read_job_snapshot(app.ai_queue, job_id);
    auto [state, j] = co_await std::move(read);
    if (j) co_return;
  } catch (const std::exception& e) {
    spdlog::debug("job {}: not told ended by its answer: {}", job_id, e.what());
    co_return;
  }
  json::object ended;
  ended["jobId"] = job_id;
  ended["result"] = body.contains("result") ? body.at("result") : json::value(nullptr);
  end_job_room(app.sio, job_id, "job-completed", std::move(ended));
  app.backlog.ended(job_id);
}

net::awaitable<response> job_completed_webhook(api_context& app, route_request& r) {
  const auto& req = r.req;
  auto check = drover::app::verify_webhook(app.cfg.webhooks.api, req["webhook-id"], req["webhook-timestamp"],
                                           req["webhook-signature"], req.body());
  // During a rotation a Workers app not yet given the new WEBHOOK_SECRET signs with the
  // previous one only.
  if (check == drover::app::webhook_check::bad_signature && app.cfg.previous_webhooks) {
    check = drover::app::verify_webhook(app.cfg.previous_webhooks->api, req["webhook-id"], req["webhook-timestamp"],
                                        req["webhook-signature"], req.body());
  }
  if (check != drover::app::webhook_check::ok) {
    if (check == drover::app::webhook_check::bad_signature && webhook_mismatch_warning_due()) {
      spdlog::warn(
          "webhook receiver: refused a delivery whose signature does not match; if this goes on, "
          "WEBHOOK_SECRET differs between the API and the Workers app, which retry until they agree");
    }
    throw http_error(http::status::unauthorized, std::string("Invalid webhook: ") + to_string(check));
  }
  auto body = json_object_body(req);
  auto job_id = id_field(body, "jobId");
  auto conversation_id = conversation_id_field(body);
  std::string content;
  if (const auto* res = body.if_contains("result")) {
    if (res->is_object() && res->get_object().contains("response") && res->get_object().at("response").is_string()) {
      content = std::string(res->get_object().at("response").get_string());
    } else if (res->is_string()) {
      content = std::string(res->get_string());
    } else {
      content = drover::serialize_json(*res);
    }
  }
  if (content.empty()) throw bad_request("'result' with the AI response is required");
  // A model's answer may hold U+0000, which PostgreSQL's text cannot: it cut the stored
  // answer there (an outside review). Kept visible as U+FFFD, the same on either database.
  for (auto nul = content.find('\0'); nul != std::string::npos; nul = content.find('\0', nul)) {
    content.replace(nul, 1, "\xEF\xBF\xBD");
  }

  // Job ids start again at 1 when Redis loses its data, so the id alone would take a new
  // answer for a duplicate of an old one and drop it (issue 13). The job's creation time
  // (ms) with it cannot repeat; a payload without it (from workers older than this)
  // keeps the old key.
  std::string idempotency_key = "job-completed:" + job_id;
  if (const auto* ts = body.if_contains("timestamp"); ts && (ts->is_int64() || ts->is_uint64())) {
    idempotency_key += ":" + drover::serialize_json(*ts);
  }
  const auto answered = message_id_in(&body);
  // One answer per message: two jobs of one message both run when a keyed retry meets a
  // master that never had the first attempt's deduplication id (a failover while the
  // first add went unconfirmed), and the second answer is not stored.
  // With its conversation and user: SQLite gives a deleted message's id again, and a late
  // answer to an erased user's message must not take the key of another's.
  if (answered) {
    const auto* u = body.if_contains("userId");
    const std::string user = u && u->is_string() ? std::string(u->get_string()) : std::string();
    idempotency_key = fmt::format("answer-to-message:{}:{}:{}", *answered, conversation_id, user);
  }
  // The job's row says completed too when the events relay cannot say it: Redis forgets
  // the job an hour after its end, and after an API outage that long the relay's
  // reconciler, finding it gone, records it failed; the answer, first delivered after
  // that, says otherwise. Only a first delivery, to the same user: an old answer sent
  // again must not overwrite a newer job of the same id (ids restart when Redis loses
  // its data). Any other row, or none yet, is the relay's to write: it also records when
  // the job started, which a completed row written first would keep it from writing (a
  // "processing" row has it already).
  drover::app::job_log_update completed;
  completed.queue = "ai-processing";
  completed.job_id = job_id;
  completed.job_type = "generate-response";
  completed.status = "completed";
  if (const auto* u = body.if_contains("userId"); u && u->is_string()) completed.user_id = std::string(u->get_string());
  if (const auto* res = body.if_contains("result")) completed.result_json = drover::serialize_json(*res);
  auto* db = &app.db;
  // What the database call did: the answer as stored (none when it was a duplicate), and
  // whether its completion of the row is the job's end (no event will say it then).
  struct stored_answer {
    std::optional<drover::app::message> message;
    bool ended_row = false;
    bool stale = false;  // its message's id now names another message
  };
  std::optional<std::int64_t> job_created_ms;
  if (const auto* ts = body.if_contains("timestamp"); ts && ts->is_int64()) job_created_ms = ts->get_int64();
  auto work = [db, idempotency_key, job_id, conversation_id, content, completed, answered,
               job_created_ms]() -> stored_answer {
    if (answered && answers_another_message(*db, conversation_id, *answered, job_id, job_created_ms)) {
      stored_answer stale;
      stale.stale = true;
      return stale;
    }
    // A conversation the database no longer has (restored from a backup older than the
    // send) is made again as its user's: made by the answer alone it belonged to no one,
    // and its user could neither read it nor send to it again (an operator's restore).
    if (completed.user_id && !completed.user_id->empty()) db->ensure_conversation(conversation_id, *completed.user_id);
    auto id = db->add_message_once(idempotency_key, conversation_id, "assistant", content, job_id);
    if (!id) return {};
    auto row = db->get_job_log(completed.queue, completed.job_id);
    // A row still "processing" is completed here too when it is this job's (the message
    // it answers is the row's): when Redis lost its data while the job ran, the answer is
    // all that says it ended (an operator's drill: answered jobs said failed, as the relay
    // never read their end and the reconciler found them gone).
    bool this_jobs = false;
    if (row && row->status == "processing" && answered && row->payload_json) {
      boost::system::error_code ec;
      const auto payload = drover::parse_json(*row->payload_json, ec);
      this_jobs = !ec && message_id_in(payload.if_object()) == answered;
    }
    const bool ending = row && (row->status == "failed" || this_jobs) && row->user_id == completed.user_id;
    if (ending) db->record_job_logs({completed});
    // As stored, with its creation time, so that the ai-response event and the history agree.
    return {db->find_message_by_key(idempotency_key), ending};
  };
  auto stored = co_await app.in_db(work);
  auto& saved = stored.message;
  if (stored.stale) {
    spdlog::warn(
        "webhook receiver: job {} answers message {} of conversation '{}', which now holds another message (a database "
        "restored from a backup gives the ids of the messages it lost again): the answer is not stored",
        job_id, *answered, conversation_id);
  }
  if (stored.ended_row) {
    auto telling = tell_end_of_lost_job(app, job_id, body);  // named: GCC 12 and temporaries in co_await
    co_await std::move(telling);
  }
  if (saved) {
    json::object payload;
    payload["conversationId"] = conversation_id;
    payload["jobId"] = job_id;
    payload["message"] = message_json(*saved);
    json::array args;
    args.push_back(std::move(payload));
    app.sio.emit_to_room("conversation:" + conversation_id, "ai-response", std::move(args));
  }
  json::object out;
  out["status"] = "ok";
  out["duplicate"] = !saved.has_value();
  if (stored.stale) out["stale"] = true;
  co_return json_response(req, http::status::ok, out);
}

// Which dependency is away, never why: driver messages name hosts and users.
net::awaitable<response> ready(api_context& app, route_request& r) {
  json::object out;
  bool ok = true;
  std::string redis_state = "ok", db_state = "ok";
  try {
    auto probe = app.readiness.probe();  // named: GCC 12 and temporaries in co_await
    co_await std::move(probe);
    auto limits = app.gate.probe_limits();
    co_await std::move(limits);
  } catch (const std::exception& e) {
    ok = false;
    redis_state = "unavailable";
    spdlog::debug("readyz: redis: {}", e.what());
  }
  try {
    auto* db = &app.db;
    auto work = [db]() { db->ping(); };
    co_await app.in_db(work);
  } catch (const std::exception& e) {
    ok = false;
    db_state = "unavailable";
    spdlog::debug("readyz: database: {}", e.what());
  }
  out["status"] = ok ? "ready" : "unavailable";
  out["redis"] = redis_state;
  out["database"] = db_state;
  co_return json_response(r.req, ok ? http::status::ok : http::status::service_unavailable, out);
}

}  // namespace

void add_chat_routes(route_table& table, api_context& app) {
  using v = http::verb;
  auto bind = [&app](net::awaitable<response> (*fn)(api_context&, route_request&)) {
    return [&app, fn](route_request& r) { return fn(app, r); };
  };
  table.add(v::get, "/readyz", route_access::open, bind(ready));
  table.add(v::post, "/api/chat/send", route_access::user, bind(send)).budget = route_budget::send;
  table.add(v::get, "/api/chat/job/:jobId", route_access::user, bind(job_status));
  table.add(v::delete_, "/api/chat/job/:jobId", route_access::user, bind(cancel_chat_job));
  table.add(v::get, "/api/conversations/:conversationId/messages", route_access::user, bind(history));
  table.add(v::put, "/api/users/:userId/assessment", route_access::user, bind(put_assessment));
  table.add(v::post, std::string(app::job_completed_path), route_access::signed_hook, bind(job_completed_webhook));
}

}  // namespace drover::api
