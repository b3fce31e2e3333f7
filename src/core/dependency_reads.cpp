// dependency_reads.cpp - see dependency_reads.hpp.
#include "core/dependency_reads.hpp"

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "core/scripts/get_dependency_counts.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover::detail {

namespace {

// A return value as Node's parseObjectValues reads it: JSON, or the text itself.
json::value parse_value(const std::string& s) {
  boost::system::error_code ec;
  auto v = drover::parse_json(s, ec);
  if (ec) return json::value(s);
  return v;
}

// A field/value list (HGETALL, or HSCAN's second element) into `out`.
template <class Map, class Convert>
void pairs_into(const redis::reply& r, Map& out, Convert convert) {
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    out[r.elements[i].str] = convert(r.elements[i + 1].str);
  }
}

std::vector<std::string> strings(const redis::reply& r) {
  std::vector<std::string> out;
  out.reserve(r.elements.size());
  for (const auto& e : r.elements) out.push_back(e.str);
  return out;
}

// A SCAN-family reply: [cursor, items].
std::int64_t scan_cursor(const redis::reply& r) {
  if (!r.is_array() || r.elements.size() != 2) throw error(errc::protocol_error, "a SCAN reply is [cursor, items]");
  return std::stoll(r.elements[0].str);
}

}  // namespace

net::awaitable<std::optional<job>> read_job(redis::connection& conn, const queue_keys& k, std::string id) {
  if (names_queue_key(id)) co_return std::nullopt;
  redis::command cmd{"HGETALL", k.job(id)};
  auto r = co_await conn.exec(std::move(cmd));
  // Another kind of key (a job's ":logs" list, a deduplication key): no job's hash.
  if (r.is_error() && r.str.starts_with("WRONGTYPE")) co_return std::nullopt;
  redis::expect_no_error(r, "HGETALL " + k.job(id));
  if (r.elements.empty()) co_return std::nullopt;
  // A hash of the queue's that is no job's: a scheduler's ("repeat:<id>"), the metrics'.
  // Every job's hash has its creation time (an outside review read, and deleted, the
  // metrics hash as job "metrics:completed").
  bool has_timestamp = false;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) has_timestamp |= r.elements[i].str == "timestamp";
  if (!has_timestamp) co_return std::nullopt;
  co_return job::from_hash(std::move(id), strings(r));
}

net::awaitable<json::object> read_children_values(redis::connection& conn, const queue_keys& k, std::string id) {
  redis::command cmd{"HGETALL", k.processed(id)};
  auto r = co_await conn.exec(std::move(cmd));
  redis::expect_no_error(r, "HGETALL " + k.processed(id));
  json::object values;
  pairs_into(r, values, parse_value);
  co_return values;
}

net::awaitable<std::map<std::string, std::string>> read_ignored_failures(redis::connection& conn, const queue_keys& k,
                                                                         std::string id) {
  redis::command cmd{"HGETALL", k.ignored_failures(id)};
  auto r = co_await conn.exec(std::move(cmd));
  redis::expect_no_error(r, "HGETALL " + k.ignored_failures(id));
  std::map<std::string, std::string> reasons;
  pairs_into(r, reasons, [](const std::string& s) { return s; });
  co_return reasons;
}

net::awaitable<job_dependencies> read_dependencies(redis::connection& conn, const queue_keys& k, std::string id,
                                                   dependencies_query q) {
  job_dependencies out;
  auto as_value = [](const std::string& s) { return parse_value(s); };
  auto as_text = [](const std::string& s) { return s; };
  std::vector<redis::command> cmds;
  if (!q.processed && !q.unprocessed && !q.ignored && !q.failed) {
    cmds.push_back(redis::command{"HGETALL", k.processed(id)});
    cmds.push_back(redis::command{"SMEMBERS", k.dependencies(id)});
    cmds.push_back(redis::command{"HGETALL", k.ignored_failures(id)});
    cmds.push_back(redis::command{"ZRANGE", k.unsuccessful(id), "0", "-1"});
    auto r = co_await conn.exec(std::move(cmds));
    for (const auto& each : r) redis::expect_no_error(each, "reading the dependencies of job " + id);
    pairs_into(r[0], out.processed, as_value);
    out.unprocessed = strings(r[1]);
    pairs_into(r[2], out.ignored, as_text);
    out.failed = strings(r[3]);
    co_return out;
  }
  auto scan = [&](const char* verb, std::string key, const dependencies_page& p) {
    cmds.push_back(redis::command{verb, std::move(key)}.push(p.cursor).push("COUNT").push(p.count));
  };
  if (q.processed) scan("HSCAN", k.processed(id), *q.processed);
  if (q.unprocessed) scan("SSCAN", k.dependencies(id), *q.unprocessed);
  if (q.ignored) scan("HSCAN", k.ignored_failures(id), *q.ignored);
  if (q.failed) {
    // By rank: [cursor, cursor + count). (Node's own getDependencies reads
    // [cursor, count - 1], which is the same only for the first page.)
    const auto& p = *q.failed;
    cmds.push_back(redis::command{"ZRANGE", k.unsuccessful(id)}.push(p.cursor).push(p.cursor + p.count - 1));
  }
  auto r = co_await conn.exec(std::move(cmds));
  for (const auto& each : r) redis::expect_no_error(each, "reading the dependencies of job " + id);
  std::size_t i = 0;
  if (q.processed) {
    out.next_processed_cursor = scan_cursor(r[i]);
    pairs_into(r[i++].elements[1], out.processed, as_value);
  }
  if (q.unprocessed) {
    out.next_unprocessed_cursor = scan_cursor(r[i]);
    out.unprocessed = strings(r[i++].elements[1]);
  }
  if (q.ignored) {
    out.next_ignored_cursor = scan_cursor(r[i]);
    pairs_into(r[i++].elements[1], out.ignored, as_text);
  }
  if (q.failed) {
    out.failed = strings(r[i]);
    const auto& p = *q.failed;
    out.next_failed_cursor = static_cast<std::int64_t>(out.failed.size()) < p.count ? 0 : p.cursor + p.count;
  }
  co_return out;
}

net::awaitable<dependency_counts> read_dependency_counts(redis::connection& conn, const queue_keys& k, std::string id) {
  auto call = scripts::get_dependency_counts::of(k, id);
  auto c = co_await scripts::run(conn, std::move(call));
  co_return dependency_counts{c[0], c[1], c[2], c[3]};
}

}  // namespace drover::detail
