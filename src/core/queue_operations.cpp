// queue_operations.cpp - what an operator looks at: metrics, workers, their reports.
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/clock.hpp"
#include "core/queue_impl.hpp"
#include "core/worker_heartbeat.hpp"
#include "drover/json.hpp"
#include "drover/queue.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace {

std::int64_t int_or_zero(const redis::reply& r) { return r.as_int().value_or(0); }

// One CLIENT LIST line: "id=7 addr=127.0.0.1:5000 ... name=bull:cQ== ...".
std::map<std::string, std::string> client_fields(std::string_view line) {
  std::map<std::string, std::string> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    auto item = line.substr(pos, end - pos);
    if (auto eq = item.find('='); eq != std::string_view::npos) {
      fields.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
    pos = end + 1;
  }
  return fields;
}

std::int64_t to_int64(const std::string& s) {
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

json::object queue_metrics::to_json() const {
  json::array points_json;
  for (auto p : data) points_json.emplace_back(p);
  json::object meta{{"count", count}, {"prevTS", prev_ts}, {"prevCount", prev_count}};
  return json::object{{"meta", std::move(meta)}, {"data", std::move(points_json)}, {"count", points}};
}

json::object worker_client::to_json() const {
  return json::object{{"name", name}, {"addr", addr}, {"age", age_seconds}, {"idle", idle_seconds}};
}

net::awaitable<queue_metrics> queue::get_metrics(std::string type, std::int64_t start, std::int64_t end) {
  if (type != "completed" && type != "failed") {
    throw error(errc::invalid_argument, fmt::format("metrics type must be completed or failed, not '{}'", type));
  }
  auto key = impl_->keys.key("metrics:" + type);
  auto data_key = key + ":data";
  std::vector<redis::command> cmds;
  cmds.push_back(redis::command{"HMGET", key, "count", "prevTS", "prevCount"});
  cmds.push_back(redis::command{"LRANGE", data_key}.push(start).push(end));
  cmds.push_back(redis::command{"LLEN", data_key});
  auto r = co_await impl_->conn->exec(std::move(cmds));
  for (const auto& e : r) {
    redis::expect_no_error(e, fmt::format("metrics of queue {}", name()));
  }
  queue_metrics m;
  if (r[0].elements.size() == 3) {
    m.count = int_or_zero(r[0].elements[0]);
    m.prev_ts = int_or_zero(r[0].elements[1]);
    m.prev_count = int_or_zero(r[0].elements[2]);
  }
  for (const auto& p : r[1].elements) m.data.push_back(int_or_zero(p));
  m.points = int_or_zero(r[2]);
  co_return m;
}

net::awaitable<std::vector<worker_client>> queue::get_workers() {
  const auto unnamed = detail::client_name(prefix(), name());
  const auto named = unnamed + ":w:";
  redis::command list{"CLIENT", "LIST"};
  auto r = co_await impl_->conn->exec(std::move(list));
  redis::expect_no_error(r, "CLIENT LIST");
  std::vector<worker_client> workers;
  std::string_view text = r.str;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto fields = client_fields(line);
    const auto& client = fields["name"];
    if (client != unnamed && client.rfind(named, 0) != 0) continue;
    // CLIENT LIST covers every database of the server: a worker of the same queue name on
    // another database serves another queue (an operator's drill: WORKERS 1 and a no-worker
    // alert resolved while this queue's jobs waited). Node's getWorkers counts it.
    if (const auto& db = fields["db"]; !db.empty() && to_int64(db) != impl_->opts.redis.db) continue;
    worker_client w;
    w.name = client == unnamed ? std::string() : client.substr(named.size());
    w.addr = fields["addr"];
    w.age_seconds = to_int64(fields["age"]);
    w.idle_seconds = to_int64(fields["idle"]);
    workers.push_back(std::move(w));
  }
  co_return workers;
}

net::awaitable<std::vector<worker_status>> queue::get_worker_statuses() {
  const auto& key = impl_->keys.worker_statuses;
  redis::command read{"HGETALL", key};
  auto r = co_await impl_->conn->exec(std::move(read));
  redis::expect_no_error(r, fmt::format("worker reports of queue {}", name()));
  auto [live, stale] = detail::read_worker_reports(r, detail::now_ms());
  if (!stale.empty()) {
    // Reports of workers that died without saying goodbye.
    redis::command forget{"HDEL", key};
    for (auto& f : stale) forget.push(std::move(f));
    co_await impl_->conn->exec(std::move(forget));
  }
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.started_at < b.started_at; });
  co_return live;
}

}  // namespace drover
