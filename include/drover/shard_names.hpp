// shard_names.hpp - how a sharded queue's shards are named, and how to tell them apart
// from plain queues when listing what a Redis holds.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

// The name of shard `index` (0 <= index < shards) of the logical queue `logical`: a
// normal BullMQ queue name, "{<logical>.<index>}", or "{<logical>.<index>.<k>}" with the
// smallest k >= 1 that is needed to put the hash tag's slot in the middle half of the
// index-th of `shards` equal parts of Redis Cluster's 16384 slots. A cluster made by
// `redis-cli --cluster create` gives its masters equal runs of slots, so N shards on N
// masters (or on N/2, N/3...) land one run each. Every shard has a hash tag of its own,
// so a shard is one slot, as BullMQ requires, and different shards are different slots.
// Throws drover::error(invalid_argument) for an empty name, one holding ':' (BullMQ's
// rule), or one holding '{' or '}' (the shards carry the hash tags), and for shards < 1.
std::string shard_name(std::string_view logical, std::size_t index, std::size_t shards);
// Every shard's name, in order.
std::vector<std::string> shard_names(std::string_view logical, std::size_t shards);

// Which shard a key's jobs go to: FNV-1a (64 bits) of the key, modulo `shards`. Stable
// across versions and processes, so producers anywhere agree.
std::size_t shard_for_key(std::string_view key, std::size_t shards);

// A logical queue found among queue names: its name and its shards', in order.
struct sharded_queue_info {
  std::string name{};
  std::vector<std::string> shards{};
};

// Splits queue names (discover_queues' answer) into sharded queues and the rest. A
// logical queue is recognised when, for some N, exactly shard_names(logical, N) are all
// present; names that do not complete such a set stay plain queues.
struct grouped_queues {
  std::vector<sharded_queue_info> sharded{};  // sorted by name
  std::vector<std::string> plain{};           // in the order given
};
grouped_queues group_shards(const std::vector<std::string>& names);

}  // namespace drover
