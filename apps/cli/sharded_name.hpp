// sharded_name.hpp - the shards a queue name given to the CLI stands for, if any.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common_options.hpp"

namespace drover::cli {

// The shards of the sharded queue c.queue names, when no plain queue has that name under
// the prefix; none otherwise. Queue-wide actions and dead-letter lists on a sharded name
// act on each shard: an operator's review paused "ai-processing" on a deployment that
// shards it, and nothing was paused. The scan of every queue is made only for a name
// with no keys of its own (on a cluster, a name without a hash tag is none), so that
// acting on a plain queue costs no SCAN. What cannot be read (an ACL, a timeout) leaves
// the name as given.
std::vector<std::string> shards_named(const common_options& c);

// With --shards N: a warning on stderr when Redis holds another number of shards of
// c.queue. Shard names depend on N (their hash tags are spread over N parts of the slot
// space), so a worker or a count given the wrong N reads other queues than the
// producers' and said nothing: a worker with --shards 4 on a queue of 8 worked none of
// its jobs. `what` is the command's verb ("works", "counts", "adds to").
void warn_on_other_shard_count(const common_options& c, std::string_view what);

// Runs `act` on each shard in turn and returns the largest exit code: a shard that throws
// (its master down) is said on stderr, exit code 1, and the others are still acted on
// (stopping at the first left the rest as they were).
int on_each_shard(const std::vector<std::string>& shards, const std::function<int(const std::string&)>& act);

}  // namespace drover::cli
