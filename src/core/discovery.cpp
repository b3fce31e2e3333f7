// discovery.cpp - queues found by their "meta" and "id" keys.
#include "drover/discovery.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "redis/cluster.hpp"
#include "redis/connection.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

// Glob metacharacters in a prefix must match themselves.
std::string escape_glob(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// "<prefix>:<queue>:<suffix>" -> queue, or empty when the key is something else
// (a job id that happens to end in the suffix has a ':' in the middle part).
std::string queue_of(std::string_view key, std::string_view prefix, std::string_view suffix) {
  if (key.size() <= prefix.size() + suffix.size() + 2) return {};
  auto middle = key.substr(prefix.size() + 1, key.size() - prefix.size() - suffix.size() - 2);
  if (middle.find(':') != std::string_view::npos) return {};
  return std::string(middle);
}

// Adds the queues one server holds to `names`.
net::awaitable<void> scan_queues(redis::connection& conn, const std::string& prefix, std::set<std::string>& names) {
  for (std::string_view suffix : {"meta", "id"}) {
    auto pattern = fmt::format("{}:*:{}", escape_glob(prefix), suffix);
    std::string cursor = "0";
    do {
      redis::command scan{"SCAN", cursor};
      scan.push("MATCH").push(pattern).push("COUNT").push(1000);
      auto r = co_await conn.exec(std::move(scan));
      redis::expect_no_error(r, fmt::format("SCAN {}", pattern));
      if (!r.is_array() || r.elements.size() != 2) throw error(errc::protocol_error, "SCAN: unexpected reply");
      cursor = r.elements[0].as_string();
      for (const auto& k : r.elements[1].elements) {
        auto q = queue_of(k.str, prefix, suffix);
        if (!q.empty()) names.insert(std::move(q));
      }
    } while (cursor != "0");
  }
}

}  // namespace

net::awaitable<std::vector<std::string>> discover_queues(net::any_io_executor ex, redis_options where,
                                                         std::string prefix) {
  std::set<std::string> names;
  std::vector<redis_options> servers;
  if (where.cluster.seeds.empty()) {
    servers.push_back(std::move(where));
  } else {
    // SCAN sees one node's keys: ask every master.
    std::optional<redis::cluster_map> map;
    try {
      std::vector<redis_endpoint> no_known_nodes;
      auto ask = redis::ask_cluster(ex, where, std::move(no_known_nodes));
      map = co_await std::move(ask);
    } catch (const std::exception& e) {
      throw error(errc::redis_unavailable, fmt::format("redis at {}: {}", where.endpoint(), e.what()));
    }
    for (const auto& master : map->masters()) servers.push_back(redis::node_options(where, master));
  }
  // On a cluster a master that does not answer leaves its queues out, said in the log:
  // the others' are still worth listing (a dashboard, /metrics). Only when none answers,
  // or the one server of a plain Redis, is it an error.
  std::exception_ptr failed;
  std::size_t answered = 0;
  for (auto& server : servers) {
    const auto endpoint = server.endpoint();
    auto conn = redis::connection::create(ex, std::move(server));
    try {
      auto scan = scan_queues(*conn, prefix, names);
      co_await std::move(scan);
      ++answered;
    } catch (const std::exception& e) {
      failed = std::current_exception();
      if (servers.size() > 1) {
        spdlog::warn("discovering queues: the cluster master {} did not answer ({}); its queues are left out", endpoint,
                     e.what());
      }
    }
    conn->close();
  }
  if (answered == 0 && failed) std::rethrow_exception(failed);
  co_return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace drover
