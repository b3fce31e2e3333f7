// discovery.cpp - queues found by their "meta" and "id" keys.
#include "drover/discovery.hpp"

#include <fmt/format.h>

#include <set>

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

}  // namespace

net::awaitable<std::vector<std::string>> discover_queues(net::any_io_executor ex, redis_options redis,
                                                         std::string prefix) {
  auto conn = redis::connection::create(ex, std::move(redis));
  std::set<std::string> names;
  for (std::string_view suffix : {"meta", "id"}) {
    auto pattern = fmt::format("{}:*:{}", escape_glob(prefix), suffix);
    std::string cursor = "0";
    do {
      redis::command scan{"SCAN", cursor};
      scan.push("MATCH").push(pattern).push("COUNT").push(1000);
      auto r = co_await conn->exec(std::move(scan));
      if (r.is_error()) throw error(errc::redis_error, fmt::format("SCAN {}: {}", pattern, r.str));
      if (!r.is_array() || r.elements.size() != 2) throw error(errc::protocol_error, "SCAN: unexpected reply");
      cursor = r.elements[0].as_string();
      for (const auto& k : r.elements[1].elements) {
        auto q = queue_of(k.str, prefix, suffix);
        if (!q.empty()) names.insert(std::move(q));
      }
    } while (cursor != "0");
  }
  conn->close();
  co_return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace drover
