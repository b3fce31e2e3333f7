// room_access.cpp - ownership checks in front of the Socket.IO rooms, and a finished job's
// final event sent at once.
#include "api/room_access.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <drover_app/job_snapshot.hpp>

#include "api/client_ids.hpp"
#include "api/ended_job.hpp"
#include "api/job_owner.hpp"
#include "api/job_room.hpp"
#include "api/rate_limiter.hpp"
#include "api/routing/gatekeeper.hpp"
#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

room_access::verdict room_access::bad_argument(const char* wanted) {
  verdict v;
  v.status = 400;
  v.error = fmt::format("The first argument must be {}", wanted);
  return v;
}

room_access::room_access(api_context& app) : app_(app) {
  auto& sio = app_.sio;
  sio.on_disconnect([this](const socketio::client_id& id, const std::string&) { checks_.erase(id); });
  sio.on("subscribe-job", [this](socketio::client_id id, json::array args, std::optional<socketio::ack_fn> ack) {
    auto given = args.empty() ? std::nullopt : id_text(args[0], false);
    if (!given || given->empty()) {  // no job has the empty id: the development mode waited for it for good
      answer(id, ack, "subscribe-job", "", bad_argument("a job id (a string)"));
      return;
    }
    std::string job_id = std::move(*given);
    auto check = [this, job_id](const caller& who) { return job_verdict(who, job_id); };
    checked_join(id, std::move(ack), "subscribe-job", job_id, job_room(job_id), check);
  });
  // Leaving needs no check; the ack says it is done.
  sio.on("unsubscribe-job", [&sio](socketio::client_id id, json::array args, std::optional<socketio::ack_fn> ack) {
    auto given = args.empty() ? std::nullopt : id_text(args[0], false);
    if (given) sio.leave(id, job_room(*given));
    if (ack) (*ack)(json::array{json::object{{"ok", true}}});
  });
  for (const char* name : {"leave-conversation", "leave"}) {
    sio.on(name, [&sio](socketio::client_id id, json::array args, std::optional<socketio::ack_fn> ack) {
      auto given = args.empty() ? std::nullopt : id_text(args[0]);
      if (given) sio.leave(id, "conversation:" + *given);
      if (ack) (*ack)(json::array{json::object{{"ok", true}}});
    });
  }
  for (const char* name : {"join-conversation", "join"}) {
    sio.on(name, [this, name](socketio::client_id id, json::array args, std::optional<socketio::ack_fn> ack) {
      auto given = args.empty() ? std::nullopt : id_text(args[0]);
      if (!given) {
        answer(id, ack, name, "", bad_argument("a conversation id (a string or an integer)"));
        return;
      }
      std::string conversation_id = std::move(*given);
      if (!valid_conversation_id(conversation_id)) {
        verdict bad;
        bad.status = 400;
        bad.error = fmt::format("A conversation id is 1 to {} bytes, without NUL, and not '.' or '..'", max_id_chars);
        answer(id, ack, name, conversation_id, bad);
        return;
      }
      auto check = [this, conversation_id](const caller& who) { return conversation_verdict(who, conversation_id); };
      checked_join(id, std::move(ack), name, conversation_id, "conversation:" + conversation_id, check);
    });
  }
}

caller room_access::caller_of(const std::string& client) const {
  caller c;
  if (app_.gate.mode() == auth_mode::none) {
    c.development = true;
  } else if (auto user = app_.sio.user_of(client)) {
    c.user = *user;
  }
  return c;
}

void room_access::answer(const std::string& client, const ack_fn& ack, const char* event, const std::string& subject,
                         const verdict& v) {
  json::object o;
  if (v.allowed) {
    o["ok"] = true;
  } else {
    o["event"] = event;
    o["id"] = subject;
    o["status"] = v.status;
    o["error"] = v.error;
    if (v.retry_after_s > 0) o["retryAfter"] = v.retry_after_s;
  }
  json::array a;
  a.push_back(std::move(o));
  if (ack) {
    (*ack)(std::move(a));
  } else if (!v.allowed) {
    app_.sio.emit(client, "subscribe-failed", std::move(a));
  }
}

void room_access::checked_join(const std::string& client, ack_fn ack, const char* event, std::string subject,
                               std::string room, lookup check) {
  auto* sio = &app_.sio;
  auto reply = [this, client, ack, event, subject](const verdict& v) { answer(client, ack, event, subject, v); };
  verdict refused;  // 404 unless a check below says otherwise
  auto who = caller_of(client);
  if (!who.development && who.user.empty()) {
    reply(refused);
    return;
  }
  auto& mine = checks_[client];
  const auto pending = static_cast<std::size_t>(mine.running) + mine.waiting.size();
  if (mine.running >= max_checks_in_flight && mine.waiting.size() >= max_checks_waiting) {
    refused.status = 429;
    refused.retry_after_s = 1;
    refused.error = "Too many joins at once; retry in 1 s";
    reply(refused);
    return;
  }
  // The Socket.IO server's own limits, before the lookup: a conversation's writes its
  // row. The checks still running or waiting may each take a room.
  if (!sio->can_join(client, room, pending)) {
    const bool too_long = room.size() > app_.cfg.limits.socketio_max_room_name_bytes;
    refused.status = too_long ? 400 : 429;
    refused.error = too_long ? "Id too long" : "Too many rooms on this connection";
    reply(refused);
    return;
  }
  if (mine.running >= max_checks_in_flight) {
    mine.waiting.push_back([this, client, room, who, reply, check]() { start_check(client, room, who, reply, check); });
    return;
  }
  start_check(client, room, who, reply, std::move(check));
}

void room_access::check_ended(const std::string& client) {
  auto it = checks_.find(client);
  if (it == checks_.end()) return;  // disconnected meanwhile: its waiting checks went with it
  if (it->second.running > 0) --it->second.running;
  if (it->second.waiting.empty()) {
    if (it->second.running == 0) checks_.erase(it);
    return;
  }
  auto next = std::move(it->second.waiting.front());
  it->second.waiting.pop_front();
  next();
}

void room_access::start_check(const std::string& client, const std::string& room, const caller& who,
                              std::function<void(const verdict&)> reply, lookup check) {
  auto* sio = &app_.sio;
  ++checks_[client].running;
  auto run = [this, sio, client, who, room, reply, check]() -> net::awaitable<void> {
    // Redis or the database away (restarting, say): asked again until they answer, so
    // that a client subscribing meanwhile is let in, and gets a job that finished in the
    // meantime, as soon as they are back, instead of a refusal it would not retry.
    verdict v;
    for (int attempt = 1;; ++attempt) {
      bool failed = false;
      try {
        auto call = check(who);
        v = co_await std::move(call);
      } catch (const std::exception& e) {
        spdlog::debug("socket.io room {}: {}", room, e.what());
        failed = true;
      }
      if (!failed || attempt == check_attempts || !checks_.contains(client)) break;
      net::steady_timer t(app_.ex, check_retry_delay);
      co_await t.async_wait(net::use_awaitable);
    }
    check_ended(client);
    if (v.allowed && !v.join) {
      // Answered from what the database kept: no event of this job will come.
      reply(v);
      if (!v.event.empty()) sio->emit(client, v.event, std::move(v.args));
      co_return;
    }
    const bool joined = v.allowed && sio->join(client, room);
    if (v.allowed && !joined) v = verdict{};  // gone meanwhile
    reply(v);
    // A job's final event, sent to this client alone, is the room's last: it leaves it
    // (end_job_room says why).
    const bool final_event = !v.event.empty();
    if (joined && final_event) {
      sio->emit(client, v.event, std::move(v.args));
      sio->leave(client, room);
    }
    if (!joined || v.settled) co_return;
    // The job finished between the check and the join: its final event went to the room
    // before this client was in it. Read once more, now that every later event reaches it.
    // A client no longer in the room got the final event from it meanwhile (end_job_room
    // makes every member leave), or left: sent again, it came twice (an outside review).
    try {
      auto call = check(who);
      auto again = co_await std::move(call);
      if (!again.event.empty() && sio->joined_at(client, room)) {
        sio->emit(client, again.event, std::move(again.args));
        sio->leave(client, room);
      }
    } catch (const std::exception& e) {
      spdlog::debug("socket.io room {}: {}", room, e.what());
    }
  };
  net::co_spawn(app_.ex, run, net::detached);
}

net::awaitable<room_access::verdict> room_access::job_verdict(const caller& who, std::string job_id) {
  verdict v;
  auto read = app::read_job_snapshot(app_.ai_queue, job_id);
  auto [state, j] = co_await std::move(read);
  if (!j) {
    // Redis keeps a chat job an hour after its end; its record is in job_logs.
    auto ended = co_await ended_chat_job(app_, who, job_id);
    v.settled = true;
    if (!ended) {
      v.allowed = who.development;  // development subscribes to any id, as before
      co_return v;
    }
    v.allowed = true;
    // Answered from the record, without joining: a job gone from Redis sends no more
    // events, and the room's id may come to name someone else's job (keep_only_the_owner).
    v.join = false;
    if (ended->status != "completed" && ended->status != "failed") co_return v;
    json::object payload = std::move(ended->outcome);
    payload["jobId"] = job_id;
    v.event = ended->status == "completed" ? "job-completed" : "job-failed";
    v.args.push_back(std::move(payload));
    co_return v;
  }
  v.allowed = who.development || who.owns(user_of_job_data(j->data));
  v.settled = !v.allowed || state == job_state::completed || state == job_state::failed;
  if (!v.allowed) co_return v;
  json::object payload;
  payload["jobId"] = j->id;
  if (state == job_state::completed) {
    v.event = "job-completed";
    payload["result"] = j->returnvalue;
  } else if (state == job_state::failed) {
    v.event = "job-failed";
    payload["error"] = j->failed_reason.value_or("");
  } else {
    co_return v;
  }
  v.args.push_back(std::move(payload));
  co_return v;
}

net::awaitable<room_access::verdict> room_access::conversation_verdict(const caller& who, std::string conversation_id) {
  verdict v;
  if (who.development) {
    v.allowed = true;
    co_return v;
  }
  auto* db = &app_.db;
  auto user = who.user;
  auto read = [db, conversation_id]() { return db->conversation_owner(conversation_id); };
  auto owner = co_await app_.in_db(read);
  if (!owner) {
    // A new conversation: a row that outlives the socket, so it spends the user's budget.
    const auto route = limited_route::conversation;
    std::string no_address;
    auto decision = co_await app_.gate.spend(route, user, no_address);
    if (!decision.allowed && !decision.unchecked.empty()) {
      const auto refused = refusal_of(decision);  // the limits cannot be checked: 503
      v.status = static_cast<int>(refused.status());
      v.error = refused.what();
      co_return v;
    }
    if (!decision.allowed) {
      v.status = 429;
      v.retry_after_s = httpd::retry_after_seconds(decision.retry_after);
      v.error = fmt::format("Too many new conversations; retry in {} s", v.retry_after_s);
      co_return v;
    }
    auto claim = [db, conversation_id, user]() {
      db->ensure_conversation(conversation_id, user);
      return db->conversation_owner(conversation_id);
    };
    owner = co_await app_.in_db(claim);
  }
  v.allowed = owner && who.owns(*owner);
  co_return v;
}

}  // namespace drover::api
