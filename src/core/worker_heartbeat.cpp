// worker_heartbeat.cpp - a drover worker reports itself to the queue's status hash, so
// that dashboards see its concurrency and busy slots (CLIENT LIST cannot say them).
#include "core/worker_heartbeat.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>

#include "core/clock.hpp"
#include "core/worker_impl.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace {

std::string host_name() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "unknown";
  return buf.data();
}

std::int64_t int_field(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  if (!v) return 0;
  if (auto* i = v->if_int64()) return *i;
  if (auto* u = v->if_uint64()) return static_cast<std::int64_t>(*u);
  return 0;
}

std::string string_field(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  if (!v || !v->is_string()) return {};
  return std::string(v->get_string());
}

}  // namespace

json::object worker_status::to_json() const {
  return json::object{{"id", id},
                      {"name", name},
                      {"host", host},
                      {"pid", pid},
                      {"concurrency", concurrency},
                      {"busy", busy},
                      {"completed", completed},
                      {"failed", failed},
                      {"startedAt", started_at},
                      {"updatedAt", updated_at},
                      {"heartbeatMs", heartbeat_ms}};
}

worker_status worker_status::from_json(const json::value& v) {
  const auto* o = v.if_object();
  if (!o || !o->contains("id")) throw error(errc::protocol_error, "a worker report must be an object with an id");
  worker_status s;
  s.id = string_field(*o, "id");
  s.name = string_field(*o, "name");
  s.host = string_field(*o, "host");
  s.pid = int_field(*o, "pid");
  s.concurrency = int_field(*o, "concurrency");
  s.busy = int_field(*o, "busy");
  s.completed = static_cast<std::uint64_t>(int_field(*o, "completed"));
  s.failed = static_cast<std::uint64_t>(int_field(*o, "failed"));
  s.started_at = int_field(*o, "startedAt");
  s.updated_at = int_field(*o, "updatedAt");
  s.heartbeat_ms = int_field(*o, "heartbeatMs");
  return s;
}

namespace detail {

bool heartbeat_is_stale(const worker_status& s, std::int64_t now_ms) {
  const auto interval = s.heartbeat_ms > 0 ? s.heartbeat_ms : 5000;
  return now_ms - s.updated_at > 3 * interval;
}

}  // namespace detail

worker_status worker::impl::status() const {
  worker_status s;
  s.id = worker_id;
  s.name = opts.name;
  s.host = host_name();
  s.pid = static_cast<std::int64_t>(getpid());
  s.concurrency = opts.concurrency;
  s.busy = static_cast<std::int64_t>(running.size());
  s.completed = completed_count.load();
  s.failed = failed_count.load();
  s.started_at = started_at_ms;
  s.updated_at = detail::now_ms();
  s.heartbeat_ms = opts.heartbeat_interval.count();
  return s;
}

net::awaitable<void> worker::impl::heartbeat() {
  auto self = shared_from_this();
  const auto& key = keys.worker_statuses;
  // The hash outlives its last worker by a minute at most.
  const auto keep = std::max<std::int64_t>(60000, 4 * opts.heartbeat_interval.count());
  bool warned = false;
  do {
    auto report = json::serialize(status().to_json());
    std::vector<redis::command> cmds;
    cmds.push_back(redis::command{"HSET", key, worker_id, std::move(report)});
    cmds.push_back(redis::command{"PEXPIRE", key}.push(keep));
    try {
      co_await conn->exec(std::move(cmds));
      warned = false;
    } catch (const error& e) {
      // The fetcher reports Redis failures; one line here is enough.
      if (!warned) spdlog::debug("queue {}: cannot write the worker report: {}", keys.queue(), e.what());
      warned = true;
    }
  } while (co_await sleep(opts.heartbeat_interval));
}

net::awaitable<void> worker::impl::forget_heartbeat() {
  if (opts.heartbeat_interval.count() <= 0) co_return;
  try {
    redis::command forget{"HDEL", keys.worker_statuses, worker_id};
    co_await conn->exec(std::move(forget));
  } catch (const error&) {
    // Readers drop the report once it is stale.
  }
}

}  // namespace drover
