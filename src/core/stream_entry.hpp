// stream_entry.hpp - one entry of a queue's events stream, as queue_events reads it: its
// id, its event, its jobId and the other fields typed as Node's QueueEvents gives them
// (a completed event's returnvalue and a progress event's data parsed as JSON, counts as
// numbers). queue_events::next and queue::wait_until_finished's look back read entries
// through it.
#pragma once

#include <optional>

#include "drover/queue_events.hpp"
#include "redis/reply.hpp"

namespace drover::detail {

// `entry` is [id, [field, value, ...]], an element of XRANGE's, XREVRANGE's or XREAD's
// reply; std::nullopt for one of another shape.
std::optional<queue_event> stream_entry_event(const redis::reply& entry);

}  // namespace drover::detail
