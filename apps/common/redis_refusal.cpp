// redis_refusal.cpp - see redis_refusal.hpp.
#include "drover_app/redis_refusal.hpp"

namespace drover::app {

namespace {

// The refusals that pass without anyone acting (refusal_passes), named once.
constexpr std::string_view unreachable = "Redis cannot be reached";
constexpr std::string_view at_maxclients = "Redis refused the connection (maxclients)";
constexpr std::string_view slot_moving = "a Redis Cluster slot is moving (a migration or a failover)";

}  // namespace

std::optional<std::string_view> redis_refusal(const drover::error& e) {
  const std::string_view text = e.what();
  const auto says = [&](std::string_view word) { return text.find(word) != std::string_view::npos; };
  // Redis's own words for each, not the bare code: an error's text also holds queue
  // names and ids.
  if (says("OOM command not allowed") || says("> 'maxmemory'")) return "Redis is out of memory (maxmemory)";
  if (says("MISCONF ")) return "Redis cannot write to its disk (MISCONF)";
  // Which grant is missing: a key refusal told as a command's sent an operator looking
  // at the commands (an ACL review). Redis's words at the call and inside a script.
  if (says("keys used as arguments") || says("can't access at least one of the keys")) {
    return "Redis's ACL does not allow drover's user the queue's keys (NOPERM): grant ~bull:* (or ~<QUEUE_PREFIX>:*) "
           "and ~drover:*, as docs/deployment.md shows";
  }
  if (says("channels used as arguments") || says("publish to the channel")) {
    return "Redis's ACL does not allow drover's user the channels (NOPERM): grant &*, as docs/deployment.md shows";
  }
  if (says("NOPERM ") || says("can't run this command")) {
    return "Redis's ACL does not allow drover's user a command (NOPERM): grant the commands docs/deployment.md lists";
  }
  if (says("READONLY ")) return "Redis answered from a read-only replica (READONLY)";
  // The login was refused, so nothing after it ran: a wrong password, or a user missing on
  // the server reached (a replica promoted without drover's ACL user; a failover review's
  // sends were told "may still run").
  if (says("WRONGPASS") || says("NOAUTH")) return "Redis refused drover's login (WRONGPASS or NOAUTH)";
  // Calls that were never written: no connection could be made (refused, TLS, every
  // sentinel away), or the connection was waiting to reconnect and refused them at once
  // (redis::connection's texts). A send's 503 said "may still run" of these (a cluster
  // review).
  if (says(": cannot connect: ") || says(": unavailable (") || says(": handshake refused: ")) {
    return unreachable;
  }
  // The server's TLS refused the session (OpenSSL's words for an alert it received: a
  // client certificate it does not trust, or none): calls pipelined behind the TLS
  // handshake were written but never read by Redis (a platform review's sends were told
  // "may still run").
  if (says("sslv3 alert ") || says("tlsv1 alert ") || says("tlsv13 alert ")) {
    return "Redis refused the TLS session (check the client certificate)";
  }
  // Redis turned the connection away before reading anything from it.
  if (says("max number of clients reached")) return at_maxclients;
  // Given up only when no node ran any of the call (redis::connection's follow_redirections).
  if (says("the cluster still redirected the call after ")) {
    return slot_moving;
  }
  return std::nullopt;
}

bool refusal_passes(const drover::error& e) {
  const auto why = redis_refusal(e);
  return why && (*why == unreachable || *why == at_maxclients || *why == slot_moving);
}

}  // namespace drover::app
