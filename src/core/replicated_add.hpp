// replicated_add.hpp - replicated adds (job_options::replication): the WAIT sent behind an
// add's writes on the same connection, and what its answer means.
//
// WAIT n ms blocks until n replicas have acknowledged every write this connection made
// before it, or until ms pass, and answers how many did. Sent in the add's own pipeline
// it covers exactly the add (and whatever else the connection wrote before); sent later
// it could meet a new connection after a reconnect, one with no writes, and count
// replicas that never saw the job.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/script_runner.hpp"
#include "drover/job_options.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

// Folds one job's replication into `wanted`, what one WAIT behind several adds asks: the
// most replicas any job asks for, within the longest timeout among the jobs that ask.
void require(replication_options& wanted, const replication_options& job);

// WAIT <min_replicas> <timeout ms>. Throws error(invalid_argument) when the timeout is
// not below `command_timeout` (redis_options): a WAIT as long as any call may take is a
// configuration mistake, and on a connection shared with other calls (queue::add_bulk
// gives each replicated add a lane of its own: replication_lanes.hpp), calls queued
// behind a blocking WAIT count their own command timeout from when they were sent.
redis::command wait_command(const replication_options& wanted, std::chrono::milliseconds command_timeout);

// Throws error(not_replicated) when a WAIT reply counts fewer replicas than wanted, naming
// `what` ("job 42 of queue q") and how many acknowledged within how long; and
// error(redis_error) for an error reply (WAIT refused, e.g. by a replica).
void check_replicated(const std::vector<redis::reply>& waits, const replication_options& wanted, std::string_view what);

// The replies of add calls sent by send_adds, and WAIT's (none when no replica was asked
// for; two after a NOSCRIPT, one per pipeline).
struct sent_adds {
  std::vector<redis::reply> adds;
  std::vector<redis::reply> waits;
};

// Sends the calls as one pipeline, with WAIT behind them when `wanted` asks for replicas
// (run_scripts_then). Error replies are returned in place; check the WAITs with
// check_replicated once the replies have named the jobs.
boost::asio::awaitable<sent_adds> send_adds(redis::connection& conn,
                                            std::vector<std::pair<const lua::script*, script_args>> calls,
                                            replication_options wanted);

// "job 42 of queue q", or "3 jobs of queue q (1, 2, 3)", for check_replicated's message.
std::string describe_jobs(std::string_view queue, const std::vector<std::string>& ids);

}  // namespace drover::detail
