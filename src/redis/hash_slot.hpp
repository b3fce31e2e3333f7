// hash_slot.hpp - which of Redis Cluster's 16384 slots a key lives in, and whether a
// queue's keys all land in one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace drover::redis {

inline constexpr std::uint16_t cluster_slots = 16384;

// CRC16 (XMODEM) of the key's hash tag (the text between the first '{' and the first
// '}' after it, when that is not empty) or of the whole key, modulo 16384: what
// CLUSTER KEYSLOT answers.
std::uint16_t hash_slot(std::string_view key);

// The slot of every key that starts with `prefix`, whatever follows it, or nullopt when
// the keys spread: the prefix must hold a complete, non-empty hash tag ("bull:{q}:",
// "{bull}:q:"). A queue's keys are "<prefix>:<queue>:<suffix>" (and scripts build new
// ones from that base), so a queue works on a cluster exactly when its base has one.
std::optional<std::uint16_t> fixed_slot(std::string_view prefix);

}  // namespace drover::redis
