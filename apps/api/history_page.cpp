// history_page.cpp - paging a conversation's history by count and by bytes.
#include "api/history_page.hpp"

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include <charconv>
#include <deque>

#include <drover/json.hpp>

#include "api/http_error.hpp"

namespace json = boost::json;

namespace drover::api {

namespace {

// A positive integer from `text` that is at most `max`; std::nullopt otherwise.
template <typename Int>
std::optional<Int> positive(const std::string& text, Int max) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max) return std::nullopt;
  return value;
}

}  // namespace

history_query history_query_of(const std::optional<std::string>& limit, const std::optional<std::string>& before) {
  history_query q;
  if (limit) {
    auto n = positive<std::size_t>(*limit, history_limits::max_count);
    if (!n) {
      throw http_error(httpd::http::status::bad_request,
                       fmt::format("'limit' must be an integer from 1 to {}", history_limits::max_count));
    }
    q.count = *n;
  }
  if (before) {
    q.before = positive<std::int64_t>(*before, std::numeric_limits<std::int64_t>::max());
    if (!q.before) throw http_error(httpd::http::status::bad_request, "'before' must be a message id");
  }
  return q;
}

json::object message_json(const app::message& m) {
  json::object o;
  o["id"] = m.id;
  o["role"] = m.role;
  o["content"] = m.content;
  o["jobId"] = m.job_id ? json::value(*m.job_id) : json::value(nullptr);
  o["createdAt"] = m.created_at_ms;
  return o;
}

json::object history_page(const std::string& conversation_id, std::vector<app::message> newest, std::size_t count,
                          std::size_t max_bytes) {
  bool more = newest.size() > count;
  std::size_t skip = more ? newest.size() - count : 0;  // the oldest, beyond the count
  std::deque<json::value> taken;
  std::size_t bytes = 0;
  for (auto it = newest.rbegin(); it != newest.rend() - static_cast<std::ptrdiff_t>(skip); ++it) {
    json::value m = message_json(*it);
    const auto size = drover::serialize_json(m).size() + 1;  // and its comma
    if (!taken.empty() && bytes + size > max_bytes) {
      more = true;
      break;
    }
    bytes += size;
    taken.push_front(std::move(m));
  }
  json::object out;
  out["conversationId"] = conversation_id;
  out["messages"] = json::array(taken.begin(), taken.end());
  out["hasMore"] = more && !taken.empty();
  out["nextBefore"] = more && !taken.empty() ? json::value(taken.front().at("id")) : json::value(nullptr);
  return out;
}

}  // namespace drover::api
