// event_stream_ids.hpp - Redis stream entry ids ("<ms>-<seq>") as the event relay needs
// them: their order, and the time they carry (when the event happened, by Redis's clock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::api {

// The two numbers of an id; std::nullopt for anything else ("$", "", "12-x").
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_stream_id(std::string_view id);

// True when `a` comes before `b` in a stream. Ids that do not parse come first.
bool stream_id_before(std::string_view a, std::string_view b);

// The greatest id before `id` ("5-0" for "5-1", "4-18446744073709551615" for "5-0"): an
// XREAD from it starts at `id` itself. std::nullopt for "0-0" and ids that do not parse.
std::optional<std::string> stream_id_predecessor(std::string_view id);

// The milliseconds part of an id, or 0 (which record_job_logs reads as "now").
std::int64_t stream_id_ms(std::string_view id);

}  // namespace drover::api
