// chat_routes.cpp - the chat API: send a message, poll a job, read the history, store an
// assessment, and receive the job-completed webhook.
#include "api/chat_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <drover/queue.hpp>
#include <drover_app/webhook_signature.hpp>

#include "api/api_server.hpp"
#include "api/blocking_call.hpp"
#include "api/http_error.hpp"
#include "api/job_event_relay.hpp"
#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

using httpd::error_response;
using httpd::json_response;

namespace {

constexpr std::chrono::milliseconds db_deadline{1000};
constexpr std::size_t max_message_chars = 32 * 1024;

using bad_request = http_error;

bool is_json_content(const request& req) {
  auto ct = std::string(req[http::field::content_type]);
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct.starts_with("application/json");
}

json::object json_body(const request& req) {
  if (!is_json_content(req)) throw bad_request(http::status::unsupported_media_type, "Content-Type must be application/json");
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec) throw bad_request(http::status::bad_request, "Malformed JSON: " + ec.message());
  if (!v.is_object()) throw bad_request(http::status::bad_request, "Request body must be a JSON object");
  return std::move(v.get_object());
}

// PostgreSQL cannot store NUL in text; refusing it here keeps both databases alike.
void reject_nul(const char* name, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw bad_request(http::status::bad_request, fmt::format("'{}' must not contain NUL characters", name));
  }
}

// An id may be given as a string or an integer (the seed's clients send both).
std::string id_field(const json::object& o, const char* name, bool required = true) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) {
    if (!required) return {};
    throw bad_request(http::status::bad_request, fmt::format("'{}' is required", name));
  }
  if (v->is_string() && !v->get_string().empty()) {
    reject_nul(name, v->get_string());
    return std::string(v->get_string());
  }
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  throw bad_request(http::status::bad_request, fmt::format("'{}' must be a non-empty string or an integer", name));
}

json::object message_json(const app::message& m) {
  json::object o;
  o["id"] = m.id;
  o["role"] = m.role;
  o["content"] = m.content;
  o["jobId"] = m.job_id ? json::value(*m.job_id) : json::value(nullptr);
  o["createdAt"] = m.created_at_ms;
  return o;
}

}  // namespace

net::awaitable<response> chat_routes::send(api_server& app, const request& req) {
  {
    auto body = json_body(req);
    auto conversation_id = id_field(body, "conversationId");
    auto user_id = id_field(body, "userId");
    const auto* msg = body.if_contains("message");
    if (!msg || !msg->is_string() || msg->get_string().empty()) {
      throw bad_request(http::status::bad_request, "'message' is required and must be a non-empty string");
    }
    std::string message(msg->get_string());
    reject_nul("message", message);
    if (message.size() > max_message_chars) {
      throw bad_request(http::status::bad_request, fmt::format("'message' is longer than {} characters", max_message_chars));
    }
    job_options opts;
    opts.attempts = 3;
    opts.backoff = backoff_options{"exponential", 2000, std::nullopt};
    opts.timeout = 30000;
    std::optional<std::int64_t> requested_priority;
    if (const auto* p = body.if_contains("priority"); p && !p->is_null()) {
      if (!p->is_int64() || p->get_int64() < 1 || p->get_int64() > 2097151) {
        throw bad_request(http::status::bad_request, "'priority' must be an integer from 1 (highest) to 2097151");
      }
      requested_priority = p->get_int64();
    }
    opts.priority = app.cfg_.priorities.priority_for(user_id, requested_priority);
    std::string webhook = app.cfg_.own_webhook_url();
    if (const auto* w = body.if_contains("webhookUrl"); w && !w->is_null()) {
      auto parsed = w->is_string() ? boost::urls::parse_absolute_uri(w->get_string()) : boost::urls::parse_absolute_uri("");
      if (!w->is_string() || !parsed || (parsed->scheme() != "http" && parsed->scheme() != "https")) {
        throw bad_request(http::status::bad_request, "'webhookUrl' must be an http or https URL");
      }
      webhook = std::string(w->get_string());
    }

    // Save the user's message and gather the context in one trip to the database.
    auto* db = app.db_.get();
    const std::size_t limit = app.cfg_.history_limit;
    auto work = [db, conversation_id, user_id, message, limit]() {
      return db->save_user_message(conversation_id, user_id, message, limit);
    };
    auto ctx = co_await blocking_call(app.ex_, app.db_pool_, work, db_deadline);

    json::array history;
    for (const auto& m : ctx.history) {
      json::object h;
      h["role"] = m.role;
      h["content"] = m.content;
      history.push_back(std::move(h));
    }
    json::value assessment = nullptr;
    if (ctx.assessment) {
      boost::system::error_code ec;
      assessment = json::parse(*ctx.assessment, ec);
      if (ec) assessment = nullptr;
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
    data["webhookUrl"] = webhook;

    json::value job_data = std::move(data);
    std::string job_name = "generate-response";
    auto j = co_await app.ai_queue_.add(job_name, job_data, opts);
    app.relay_->record_pending(j, user_id);

    json::object out;
    out["status"] = "processing";
    out["jobId"] = j.id;
    out["message"] = "Your message was received; the answer is being generated";
    co_return json_response(req, http::status::ok, out);
  }
}

net::awaitable<response> chat_routes::job_status(api_server& app, const request& req, std::string job_id) {
  // The state first: a job seen finished already holds its result or reason (one script
  // writes both), whereas a job read first could finish before its state is read.
  auto state = co_await app.ai_queue_.get_job_state(job_id);
  auto j = co_await app.ai_queue_.get_job(job_id);
  if (!j) {
    co_return error_response(req, http::status::not_found, "Job not found");
  }
  json::object out;
  out["status"] = state;
  if (state == "completed") {
    out["result"] = j->returnvalue;
  } else if (state == "failed") {
    out["error"] = j->failed_reason.value_or("");
  } else {
    out["progress"] = j->progress;
  }
  co_return json_response(req, http::status::ok, out);
}

net::awaitable<response> chat_routes::history(api_server& app, const request& req, std::string conversation_id) {
  auto* db = app.db_.get();
  auto work = [db, conversation_id]() { return db->list_messages(conversation_id, 1000); };
  auto messages = co_await blocking_call(app.ex_, app.db_pool_, work, db_deadline);
  json::array list;
  for (const auto& m : messages) list.push_back(message_json(m));
  json::object out;
  out["conversationId"] = conversation_id;
  out["messages"] = std::move(list);
  co_return json_response(req, http::status::ok, out);
}

net::awaitable<response> chat_routes::put_assessment(api_server& app, const request& req, std::string user_id) {
  {
    auto body = json_body(req);
    auto text = json::serialize(body);
    auto* db = app.db_.get();
    auto work = [db, user_id, text]() { db->put_assessment(user_id, text); };
    co_await blocking_call(app.ex_, app.db_pool_, work, db_deadline);
    json::object out;
    out["status"] = "saved";
    out["userId"] = user_id;
    co_return json_response(req, http::status::ok, out);
  }
}

net::awaitable<response> chat_routes::job_completed_webhook(api_server& app, const request& req) {
  {
    auto check = drover::app::verify_webhook(app.cfg_.webhook_secret, req["webhook-id"], req["webhook-timestamp"],
                                req["webhook-signature"], req.body());
    if (check != drover::app::webhook_check::ok) {
      throw bad_request(http::status::unauthorized, std::string("Invalid webhook: ") + to_string(check));
    }
    auto body = json_body(req);
    auto job_id = id_field(body, "jobId");
    auto conversation_id = id_field(body, "conversationId");
    std::string content;
    if (const auto* r = body.if_contains("result")) {
      if (r->is_object() && r->get_object().contains("response") && r->get_object().at("response").is_string()) {
        content = std::string(r->get_object().at("response").get_string());
      } else if (r->is_string()) {
        content = std::string(r->get_string());
      } else {
        content = json::serialize(*r);
      }
    }
    if (content.empty()) throw bad_request(http::status::bad_request, "'result' with the AI response is required");

    auto* db = app.db_.get();
    auto work = [db, job_id, conversation_id, content]() -> std::optional<app::message> {
      auto id = db->add_message_once("job-completed:" + job_id, conversation_id, "assistant", content, job_id);
      if (!id) return std::nullopt;
      return app::message{*id, conversation_id, "assistant", content, job_id, 0};
    };
    auto saved = co_await blocking_call(app.ex_, app.db_pool_, work, db_deadline);
    if (saved) {
      json::object payload;
      payload["conversationId"] = conversation_id;
      payload["jobId"] = job_id;
      payload["message"] = message_json(*saved);
      json::array args;
      args.push_back(std::move(payload));
      app.sio_->emit_to_room("conversation:" + conversation_id, "ai-response", std::move(args));
    }
    json::object out;
    out["status"] = "ok";
    out["duplicate"] = !saved.has_value();
    co_return json_response(req, http::status::ok, out);
  }
}

net::awaitable<response> chat_routes::ready(api_server& app, const request& req) {
  json::object out;
  bool ok = true;
  std::string redis_state = "ok", db_state = "ok";
  try {
    co_await app.ai_queue_.is_paused();
  } catch (const std::exception& e) {
    ok = false;
    redis_state = e.what();
  }
  try {
    auto* db = app.db_.get();
    auto work = [db]() { db->ping(); };
    co_await blocking_call(app.ex_, app.db_pool_, work, db_deadline);
  } catch (const std::exception& e) {
    ok = false;
    db_state = e.what();
  }
  out["status"] = ok ? "ready" : "unavailable";
  out["redis"] = redis_state;
  out["database"] = db_state;
  co_return json_response(req, ok ? http::status::ok : http::status::service_unavailable, out);
}

}  // namespace drover::api
