// reply.cpp - drover's reply value, and the hiredis reader that builds it in place, with
// drover's limit on array headers.
#include "redis/reply.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <memory>

#include "drover/error.hpp"

namespace drover::redis {

void expect_no_error(const reply& r, std::string_view what) {
  if (!r.is_error()) return;
  throw error(is_passing_refusal(r.str) ? errc::redis_unavailable : errc::redis_error,
              fmt::format("{}: {}", what, explained(r.str)));
}

bool is_passing_refusal(std::string_view message) {
  // MISCONF: writes refused while Redis cannot persist (its disk full), until a save or
  // an AOF write succeeds again, which Redis retries on its own (a disk-full review: taken
  // for a hard error, a finished answer was dropped and the model asked again).
  for (std::string_view code : {"OOM ", "MISCONF ", "LOADING ", "BUSY ", "MASTERDOWN ", "CLUSTERDOWN ", "TRYAGAIN "}) {
    if (message.starts_with(code)) return true;
  }
  return false;
}

std::string explained(std::string_view message) {
  auto why = explain_refusal(message);
  return why ? std::move(*why) : std::string(message);
}

bool is_maxclients_refusal(std::string_view message) {
  return message.find("max number of clients reached") != std::string_view::npos;
}

std::optional<std::string> explain_refusal(std::string_view message) {
  // Followed on a cluster connection: one that reaches a caller went to a single node.
  if (message.starts_with("MOVED ")) {
    return fmt::format(
        "{} (the server is a node of a Redis Cluster: over a plain redis:// URL to one node, connect with a "
        "redis+cluster:// URL or REDIS_CLUSTER_NODES instead)",
        message);
  }
  // Most often a queue without a hash tag, or a plain URL to one node of a cluster.
  if (message.starts_with("CROSSSLOT")) {
    return fmt::format(
        "{} (on a Redis Cluster a queue's keys must share one slot: give the queue a hash tag, e.g. the prefix "
        "'{{bull}}', as BullMQ requires, and connect with a redis+cluster:// URL or REDIS_CLUSTER_NODES)",
        message);
  }
  if (is_maxclients_refusal(message)) {
    return fmt::format(
        "{} (every connection Redis's maxclients allows is taken: raise maxclients, or find who holds them with "
        "CLIENT LIST; docs/troubleshooting.md)",
        message);
  }
  if (message.starts_with("OOM ")) {
    return fmt::format(
        "{} (Redis is at its maxmemory and refuses writes until memory is freed or maxmemory is raised; "
        "docs/troubleshooting.md)",
        message);
  }
  // The setting names are docs/configuration.md's.
  if (message.starts_with("WRONGPASS") || message.find("invalid password") != std::string_view::npos) {
    return fmt::format(
        "Redis refused the username or password ({}): check the password in the URL "
        "(redis://[user]:PASSWORD@host:port, --redis or REDIS_URL), or REDIS_PASSWORD when no URL is given, and "
        "that this server has the user (a replica promoted without it refuses it; docs/deployment.md)",
        message);
  }
  // AUTH with a password alone goes to the default user, which has none: either this
  // Redis wants no password, or the password is an ACL user's and the name was left out
  // (with the default user off, the NOAUTH replies that followed said "Redis needs a
  // password": an operator's review).
  if (message.find("without any password configured for the default user") != std::string_view::npos) {
    return fmt::format(
        "Redis refused a password given without a user name ({}): its default user has no password, so either "
        "this Redis wants none (leave it out of the URL) or it is an ACL user's, whose name goes with it "
        "(redis://USER:PASSWORD@host:port, --redis or REDIS_URL)",
        message);
  }
  if (message.starts_with("NOAUTH") || message.find("unauthenticated") != std::string_view::npos) {
    return fmt::format(
        "Redis needs a password ({}): put it in the URL (redis://:PASSWORD@host:port, --redis or REDIS_URL), "
        "or in REDIS_PASSWORD when no URL is given",
        message);
  }
  return std::nullopt;
}

std::optional<std::int64_t> reply::as_int() const {
  if (type == kind::integer) return integer;
  if (type == kind::string || type == kind::status) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
    if (ec == std::errc() && p == str.data() + str.size()) return v;
  }
  return std::nullopt;
}

std::string reply::as_string() const {
  switch (type) {
    case kind::integer:
      return std::to_string(integer);
    case kind::string:
    case kind::status:
    case kind::error:
      return str;
    default:
      return {};
  }
}

namespace {

// hiredis hands each object's parent task: an element goes in its place in the parent's
// elements, which the parent sized when its header came, so the addresses hiredis keeps
// stay valid; only a top-level reply is allocated on its own.
reply* place(const redisReadTask* task, reply::kind type) {
  reply* r =
      task->parent ? &static_cast<reply*>(task->parent->obj)->elements[static_cast<std::size_t>(task->idx)] : new reply;
  r->type = type;
  return r;
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  const auto type = task->type == REDIS_REPLY_ERROR    ? reply::kind::error
                    : task->type == REDIS_REPLY_STATUS ? reply::kind::status
                                                       : reply::kind::string;
  reply* r = place(task, type);
  r->str.assign(str, len);
  return r;
}

// The count's type differs between hiredis versions (int in 0.14, size_t in 1.x).
template <class Count>
void* create_array(const redisReadTask* task, Count elements) {
  // A negative count (hiredis answers -1 with nil before asking) converts to a huge one.
  if (static_cast<unsigned long long>(elements) > max_reply_elements) return nullptr;
  reply* r = place(task, reply::kind::array);
  r->elements.resize(static_cast<std::size_t>(elements));
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  reply* r = place(task, reply::kind::integer);
  r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) { return place(task, reply::kind::nil); }

// hiredis frees only the top-level object (a reply it gives up on, or left in a freed
// reader): its elements go with it.
void free_reply(void* r) { delete static_cast<reply*>(r); }

template <class Object, class Task, class Count>
constexpr auto array_of(Object (*)(const Task*, Count)) {
  return &create_array<Count>;
}

redisReplyObjectFunctions* reply_functions() {
  static redisReplyObjectFunctions functions = [] {
    // From hiredis's defaults (a reader made with them), so that members of other hiredis
    // versions keep a value; drover speaks RESP2 only, whose five kinds are replaced.
    redisReader* probe = redisReaderCreate();
    redisReplyObjectFunctions f = *probe->fn;
    redisReaderFree(probe);
    f.createString = create_string;
    f.createArray = array_of(f.createArray);
    f.createInteger = create_integer;
    f.createNil = create_nil;
    f.freeObject = free_reply;
    return f;
  }();
  return &functions;
}

}  // namespace

void* create_reader() { return redisReaderCreateWithFunctions(reply_functions()); }

reply take_reply(void* raw) {
  std::unique_ptr<reply> r(static_cast<reply*>(raw));
  return std::move(*r);
}

}  // namespace drover::redis
