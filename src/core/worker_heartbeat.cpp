// worker_heartbeat.cpp - the report a drover worker writes to the queue's status hash
// (the heartbeat, src/core/worker/heartbeat.cpp), as JSON, and when it is out of date.
#include "core/worker_heartbeat.hpp"

#include "drover/error.hpp"
#include "drover/json.hpp"
#include "drover/queue.hpp"

namespace json = boost::json;

namespace drover {

namespace {

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

worker_reports read_worker_reports(const redis::reply& hgetall, std::int64_t now_ms) {
  worker_reports out;
  for (std::size_t i = 0; i + 1 < hgetall.elements.size(); i += 2) {
    const auto& field = hgetall.elements[i].str;
    boost::system::error_code ec;
    auto v = drover::parse_json(hgetall.elements[i + 1].str, ec);
    std::optional<worker_status> s;
    if (!ec) {
      try {
        s = worker_status::from_json(v);
      } catch (const error&) {
      }
    }
    if (!s || heartbeat_is_stale(*s, now_ms)) {
      out.stale.push_back(field);
    } else {
      out.live.push_back(std::move(*s));
    }
  }
  return out;
}

}  // namespace detail

}  // namespace drover
