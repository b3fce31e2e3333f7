// job_log_reconciler.hpp - brings job_logs rows up to date from the jobs themselves
// when the events that would have done it are gone (trimmed from the events stream
// while the API was down, or never read by an API that kept no position).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <string>

#include <drover/queue.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/db/database.hpp>

namespace drover::api {

// Reads the pending and processing rows of `shard`'s logical queue (at most `limit`) and,
// for each row whose app id names a job of `shard` (`jobs` is that BullMQ queue), the job
// in Redis: a completed or failed job makes the row final, with the job's result or
// reason and its finishing time (so a later replay of its events changes nothing); a job
// no longer in Redis makes it failed with a reason that says so; a job still waiting or
// running is left to its events. Returns the number of rows it made final. Throws
// when Redis or the database is away (the caller tries again later).
boost::asio::awaitable<std::size_t> reconcile_job_logs(boost::asio::any_io_executor ex, queue& jobs, app::database& db,
                                                       boost::asio::thread_pool& db_pool, app::queue_shard shard,
                                                       std::size_t limit = 10000);

}  // namespace drover::api
