// event_stream_ids.cpp - parsing and ordering stream entry ids.
#include "api/event_stream_ids.hpp"

#include <charconv>
#include <cstdint>

namespace drover::api {

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_stream_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::uint64_t ms = 0, seq = 0;
  auto number = [](std::string_view s, std::uint64_t& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  if (!number(id.substr(0, dash), ms) || !number(id.substr(dash + 1), seq)) return std::nullopt;
  return std::pair{ms, seq};
}

bool stream_id_before(std::string_view a, std::string_view b) {
  auto x = parse_stream_id(a);
  auto y = parse_stream_id(b);
  if (!x || !y) return !x && y;
  return *x < *y;
}

std::optional<std::string> stream_id_predecessor(std::string_view id) {
  auto x = parse_stream_id(id);
  if (!x || (x->first == 0 && x->second == 0)) return std::nullopt;
  if (x->second > 0) return std::to_string(x->first) + "-" + std::to_string(x->second - 1);
  return std::to_string(x->first - 1) + "-" + std::to_string(UINT64_MAX);
}

std::int64_t stream_id_ms(std::string_view id) {
  auto x = parse_stream_id(id);
  return x ? static_cast<std::int64_t>(x->first) : 0;
}

}  // namespace drover::api
