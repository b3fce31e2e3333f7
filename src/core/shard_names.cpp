// shard_names.cpp - shard names spread over the cluster's slot space, and recognising them.
#include "drover/shard_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>

#include "core/keys.hpp"
#include "drover/error.hpp"
#include "redis/hash_slot.hpp"

namespace drover {

namespace {

void check_logical_name(std::string_view logical, std::size_t shards) {
  detail::check_queue_name(logical);
  if (logical.find_first_of("{}") != std::string_view::npos) {
    throw error(errc::invalid_argument,
                fmt::format("sharded queue '{}': the name must not hold '{{' or '}}'; each shard gets a hash tag "
                            "of its own, built from the name",
                            logical));
  }
  if (shards < 1) throw error(errc::invalid_argument, fmt::format("sharded queue '{}': shards must be >= 1", logical));
}

// Whether `slot` is in the middle half of part `index` of `shards`: away from the part's
// edges, so that a cluster whose runs of slots are not exactly equal still agrees.
bool in_middle_of_part(std::uint16_t slot, std::size_t index, std::size_t shards) {
  const double part = double(redis::cluster_slots) / double(shards);
  const double lo = part * (double(index) + 0.25), hi = part * (double(index) + 0.75);
  return double(slot) >= lo && double(slot) < hi;
}

std::optional<std::size_t> parse_shard_number(std::string_view s) {
  std::size_t n = 0;
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// The (logical, index) pairs a shard name could be: "{X.i}" or "{X.i.k}".
std::vector<std::pair<std::string, std::size_t>> shard_readings(std::string_view name) {
  std::vector<std::pair<std::string, std::size_t>> out;
  if (name.size() < 5 || name.front() != '{' || name.back() != '}') return out;
  auto inner = name.substr(1, name.size() - 2);
  auto last = inner.rfind('.');
  if (last == std::string_view::npos || last == 0) return out;
  if (auto i = parse_shard_number(inner.substr(last + 1))) out.emplace_back(std::string(inner.substr(0, last)), *i);
  auto before = inner.rfind('.', last - 1);
  if (before != std::string_view::npos && before > 0 && parse_shard_number(inner.substr(last + 1))) {
    if (auto i = parse_shard_number(inner.substr(before + 1, last - before - 1))) {
      out.emplace_back(std::string(inner.substr(0, before)), *i);
    }
  }
  return out;
}

}  // namespace

std::string shard_name(std::string_view logical, std::size_t index, std::size_t shards) {
  check_logical_name(logical, shards);
  if (index >= shards) {
    throw error(errc::invalid_argument, fmt::format("sharded queue '{}': no shard {} of {}", logical, index, shards));
  }
  auto tag = fmt::format("{}.{}", logical, index);
  // About 2 * shards tries on average; the bound only guards against a pathological name.
  for (std::size_t k = 1; !in_middle_of_part(redis::hash_slot(tag), index, shards) && k < 100000; ++k) {
    tag = fmt::format("{}.{}.{}", logical, index, k);
  }
  return "{" + tag + "}";
}

std::vector<std::string> shard_names(std::string_view logical, std::size_t shards) {
  check_logical_name(logical, shards);  // with 0 shards the loop below would check nothing
  std::vector<std::string> names;
  names.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) names.push_back(shard_name(logical, i, shards));
  return names;
}

std::size_t shard_for_key(std::string_view key, std::size_t shards) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return shards == 0 ? 0 : std::size_t(h % shards);
}

grouped_queues group_shards(const std::vector<std::string>& names) {
  const std::set<std::string> present(names.begin(), names.end());
  std::map<std::string, std::set<std::size_t>> indices;  // candidate logical -> shard indices seen
  for (const auto& name : names) {
    for (auto& [logical, index] : shard_readings(name)) indices[logical].insert(index);
  }
  grouped_queues out;
  std::set<std::string> claimed;
  for (const auto& [logical, seen] : indices) {
    if (logical.find_first_of("{}:") != std::string::npos) continue;
    // The largest N whose every shard is present (names depend on N; strays are ignored).
    for (auto n = seen.size(); n >= 1; --n) {
      auto shards = shard_names(logical, n);
      if (!std::all_of(shards.begin(), shards.end(), [&](const auto& s) { return present.count(s) > 0; })) continue;
      claimed.insert(shards.begin(), shards.end());
      out.sharded.push_back({logical, std::move(shards)});
      break;
    }
  }
  for (const auto& name : names) {
    if (!claimed.count(name)) out.plain.push_back(name);
  }
  return out;
}

}  // namespace drover
