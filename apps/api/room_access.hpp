// room_access.hpp - who may join which Socket.IO room: a job's or a conversation's owner.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include "api/api_context.hpp"
#include "api/routing/route_request.hpp"

namespace drover::api {

// Handles the room events of the API's Socket.IO server:
//   subscribe-job <jobId>          joins "job:<id>" (job-progress, job-completed, job-failed);
//                                  a job that has already finished sends its final event at
//                                  once, so nobody waits for an answer that exists; one known
//                                  only from job_logs is answered without joining (its id may
//                                  come to name another job: job_room.hpp)
//   unsubscribe-job <jobId>        leaves it
//   join-conversation <id>, join   joins "conversation:<id>" (ai-response); a conversation
//                                  nobody has started yet becomes the caller's, so nobody
//                                  can wait in a room before its owner arrives
// Each join is checked against the owner (the job's data, or the database) before the
// client is let in; someone else's room is refused exactly like one that does not exist:
// the ack gets {event, id, status: 404, error}, or without an ack a `subscribe-failed`
// event. While Redis or the database is away the check waits for them (up to 30 s) rather
// than refuse. In AUTH_MODE=none every room is open to everyone.
// What a join can cost is bounded, and every refusal that does not depend on the owner
// comes before any lookup or write, so a refused join leaves nothing behind:
//   - a conversation id POST /api/chat/send would refuse: status 400;
//   - a room the Socket.IO server would refuse (name too long: 400; the socket's rooms
//     full, counting the checks still running: 429);
//   - a client may have at most max_checks_in_flight checks running, and
//     max_checks_waiting more waiting their turn: one polling POST of 10,000 joins would
//     otherwise start 10,000 lookups. A join past both is refused with 429 and
//     retryAfter (never 404: the chat page subscribes to every unanswered job of its
//     user at once on a reconnect, up to MAX_UNANSWERED_SENDS_PER_USER, and a refusal
//     that reads "not yours" left those answers "thinking" for good);
//   - starting a conversation spends a token of the user's RATE_LIMIT_CONVERSATION_USER
//     budget (429 "Too many new conversations; retry in N s", with retryAfter in seconds);
//     joining one that exists costs none.
// Thread safety: one executor, as the Socket.IO server.
class room_access {
 public:
  static constexpr int max_checks_in_flight = 8;
  static constexpr std::size_t max_checks_waiting = 64;
  // A check that fails because Redis or the database is away is tried again, this often.
  static constexpr int check_attempts = 60;
  static constexpr std::chrono::milliseconds check_retry_delay{500};

  // Registers the event handlers on app.sio; `app` must outlive this object.
  explicit room_access(api_context& app);

 private:
  // What a check found: whether the client may join, and the event to send it once it
  // has (a finished job's final state).
  struct verdict {
    bool allowed = false;
    // Why not, when not allowed: someone else's or nobody's is 404, as the routes say.
    int status = 404;
    std::string error = "Not found";
    std::int64_t retry_after_s = 0;  // a rate limit's, sent as retryAfter when set
    std::string event;
    boost::json::array args;
    // Nothing later can change it (a finished job, a conversation); otherwise the check
    // runs once more after the join.
    bool settled = true;
    // Allowed, and answered with `event` alone: the client does not join the room.
    bool join = true;
  };
  // The refusal of an event whose first argument is not what it must be ("a job id (a
  // string)"): answered, so that a client waiting for its acknowledgement is not left
  // waiting.
  static verdict bad_argument(const char* wanted);
  using lookup = std::function<boost::asio::awaitable<verdict>(const caller&)>;

  using ack_fn = std::optional<std::function<void(boost::json::array)>>;
  void checked_join(const std::string& client, ack_fn ack, const char* event, std::string subject, std::string room,
                    lookup check);
  // Answers a join: {ok: true} when `v` allows it, else the refusal; without an ack a
  // refusal is sent as a `subscribe-failed` event.
  void answer(const std::string& client, const ack_fn& ack, const char* event, const std::string& subject,
              const verdict& v);
  boost::asio::awaitable<verdict> job_verdict(const caller& who, std::string job_id);
  boost::asio::awaitable<verdict> conversation_verdict(const caller& who, std::string conversation_id);
  caller caller_of(const std::string& client) const;

  // Starts a check now: `client` has a place among its running ones.
  void start_check(const std::string& client, const std::string& room, const caller& who,
                   std::function<void(const verdict&)> reply, lookup check);
  // A check of `client` ended: the next one waiting takes its place.
  void check_ended(const std::string& client);

  struct client_checks {
    int running = 0;
    std::deque<std::function<void()>> waiting;  // each starts its check
  };
  api_context& app_;
  std::map<std::string, client_checks> checks_;  // per client with checks running
};

}  // namespace drover::api
