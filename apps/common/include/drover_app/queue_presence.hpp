// queue_presence.hpp - whether a queue name names anything in Redis: the check that tells
// an operator a name is probably mistyped (`drover queue pause` warns, the dashboard's
// actions answer 404).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include <drover/queue.hpp>

namespace drover::app {

// Every state a BullMQ job can be in, in the order the CLI and the dashboard show them.
const std::vector<std::string>& bullmq_job_states();

// True when the queue has no settings (its meta hash) and no job in any state. Throws
// what the reads throw (drover::error): callers that only advise go on when it cannot read.
boost::asio::awaitable<bool> queue_looks_unknown(queue& q);

}  // namespace drover::app
