// event_stream_ids.hpp - Redis stream entry ids ("<ms>-<seq>") as the event relay needs
// them: their order, and the time they carry (when the event happened, by Redis's clock).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace drover::api {

// The two numbers of an id; std::nullopt for anything else ("$", "", "12-x").
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_stream_id(std::string_view id);

// True when `a` comes before `b` in a stream. Ids that do not parse come first.
bool stream_id_before(std::string_view a, std::string_view b);

// The milliseconds part of an id, or 0 (which record_job_logs reads as "now").
std::int64_t stream_id_ms(std::string_view id);

}  // namespace drover::api
