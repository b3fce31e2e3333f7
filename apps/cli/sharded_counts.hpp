// sharded_counts.hpp - `drover counts --shards N` and `drover queue counts --shards N`: the
// logical queue's counts and each shard's.
#pragma once

#include "queue_actions.hpp"

namespace drover::cli {

// Prints the counts per state summed over the shards and per shard: a table (a column
// per shard) or, with --json, {"queue", "counts", "shards": [{"queue", "counts"}]}.
int print_sharded_counts(const queue_flags& f);

}  // namespace drover::cli
