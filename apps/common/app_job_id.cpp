// app_job_id.cpp - shard-qualified job ids: making them, reading them back.
#include "drover_app/app_job_id.hpp"

#include <fmt/format.h>

#include <charconv>

#include <drover/shard_names.hpp>

namespace drover::app {

namespace {

// A decimal index without sign or leading zeros, the whole of `text`.
std::optional<std::size_t> index_of(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string queue_shard::queue_name() const { return shards == 0 ? logical : shard_name(logical, index, shards); }

std::string queue_shard::app_id(std::string_view id) const {
  return shards == 0 ? std::string(id) : sharded_job_id(index, id);
}

std::optional<std::string> queue_shard::own_id(std::string_view app_id) const {
  if (shards == 0) return std::string(app_id);
  auto ref = parse_sharded_job_id(app_id, shards);
  if (!ref || ref->shard != index) return std::nullopt;
  return std::move(ref->id);
}

std::string sharded_job_id(std::size_t shard, std::string_view id) { return fmt::format("{}-{}", shard, id); }

std::optional<sharded_job_ref> parse_sharded_job_id(std::string_view text, std::size_t shards) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos || dash + 1 == text.size()) return std::nullopt;
  auto shard = index_of(text.substr(0, dash));
  if (!shard || *shard >= shards) return std::nullopt;
  return sharded_job_ref{*shard, std::string(text.substr(dash + 1))};
}

std::optional<std::size_t> shard_index_of(std::string_view queue_name, std::string_view logical) {
  const auto head = fmt::format("{{{}.", logical);
  if (!queue_name.starts_with(head) || !queue_name.ends_with('}')) return std::nullopt;
  auto rest = queue_name.substr(head.size(), queue_name.size() - head.size() - 1);
  const auto dot = rest.find('.');
  auto index = index_of(rest.substr(0, dot));
  if (!index) return std::nullopt;
  if (dot != std::string_view::npos && !index_of(rest.substr(dot + 1))) return std::nullopt;
  return index;
}

std::string app_job_id_in(std::string_view queue_key, std::string_view logical, std::string_view id) {
  // Queue names hold no ':' (BullMQ's rule), so the name is what follows the last one.
  const auto colon = queue_key.rfind(':');
  const auto name = colon == std::string_view::npos ? queue_key : queue_key.substr(colon + 1);
  if (auto index = shard_index_of(name, logical)) return sharded_job_id(*index, id);
  return std::string(id);
}

}  // namespace drover::app
