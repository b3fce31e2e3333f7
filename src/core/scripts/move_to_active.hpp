// move_to_active.hpp - BullMQ's moveToActive: takes the next job for a worker, and the
// reply format it shares with moveToFinished's fetch-next.
//
// Contract: unless the queue is paused or the rate limiter is full, takes the next
// job (promoting due delayed jobs first; prioritized before wait), moves it to
// active, locks it with the token for lockDuration, counts it in the limiter and adds
// an "active" event. KEYS (11): wait, active, prioritized, events, stalled, limiter,
// delayed, paused, meta, pc, marker. ARGV (3): key prefix, timestamp, msgpacked
// options {token, lockDuration, limiter? {max, duration}, name?}. Returns [job hash
// fields and values | 0, job id | 0, limiter ttl ms, next delayed job's due time ms].
#pragma once

#include <optional>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"
#include "drover/job.hpp"
#include "drover/worker.hpp"

namespace drover::detail {
class msgpack_writer;
}

namespace drover::detail::scripts {

// What a fetch answered: a job, or why there was none.
struct fetched {
  std::optional<job> next;
  std::int64_t rate_limit_ttl_ms = 0;  // > 0: the limiter is full for this long
  std::int64_t next_delayed_ms = 0;    // when no job: the next delayed job's due time (0: none)
};

// Parses [fields | 0, id | 0, ttl, next delayed]; throws error(protocol_error) for
// another shape.
fetched parse_fetch_reply(redis::reply& r);

// Writes the `limiter` option ({max, duration}) of a fetching script's msgpacked options:
// moveToActive's, and moveToFinished's when it fetches the next job.
void pack_limiter(msgpack_writer& o, const rate_limiter_options& limiter);

struct move_to_active {
  // KEYS
  std::string wait, active, prioritized, events, stalled, limiter, delayed, paused, meta, pc, marker;
  // ARGV
  std::string prefix;
  std::int64_t timestamp = 0;
  // ARGV[3], msgpacked
  std::string token;
  std::int64_t lock_duration_ms = 0;
  std::optional<rate_limiter_options> limiter_opts;
  std::string worker_name;  // sent when not empty (the job's processedBy)

  static move_to_active of(const queue_keys& k, std::string token, const worker_options& opts, std::int64_t now);
  script_call pack() &&;
  using result = fetched;
  result parse(redis::reply& r) const { return parse_fetch_reply(r); }
};

}  // namespace drover::detail::scripts
