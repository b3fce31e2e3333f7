// cancel_job_now.hpp - the one way to cancel a job, shared by queue::cancel and a worker
// carrying a request to a retry (worker/job_runner.cpp).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "core/keys.hpp"
#include "drover/queue.hpp"

namespace drover::redis {
class connection;
}

namespace drover::detail {

// 1. cancelJob (src/lua) leaves the request (a JSON object, to which it adds the job's
//    atm) in the job hash unless the job is gone or finished, and says whether a worker
//    holds the lock.
// 2. Unlocked: BullMQ's removeJob removes it. Should a worker take the job between the
//    two calls, removeJob refuses (the lock), and the worker finds the request when it
//    starts the job: the outcome is then "signalled".
// Throws drover::error as the scripts do.
boost::asio::awaitable<cancel_outcome> cancel_job_now(redis::connection& conn, const queue_keys& keys, std::string id,
                                                      std::string request_json);

}  // namespace drover::detail
