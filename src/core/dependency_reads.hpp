// dependency_reads.hpp - reading a job and what it knows of its children (flows), on any
// connection and any queue's keys: queue's methods and flow_producer::get_flow share them.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>

#include "core/keys.hpp"
#include "drover/job.hpp"
#include "drover/job_dependencies.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

// The job's hash; std::nullopt when there is none, when `id` names one of the queue's own
// keys (names_queue_key) or when its key holds something else than a hash.
boost::asio::awaitable<std::optional<job>> read_job(redis::connection& conn, const queue_keys& k, std::string id);

// The processed hash: child key -> return value (JSON; kept as a string when it is not).
boost::asio::awaitable<boost::json::object> read_children_values(redis::connection& conn, const queue_keys& k,
                                                                 std::string id);

// The ":failed" hash: child key -> failed reason, for the failures ignored under
// ignoreDependencyOnFailure or continueParentOnFailure.
boost::asio::awaitable<std::map<std::string, std::string>> read_ignored_failures(redis::connection& conn,
                                                                                 const queue_keys& k, std::string id);

// All of each kind when the query asks for none; otherwise a page of each kind asked
// for: HSCAN / SSCAN from the cursor (COUNT is a hint, as in Node), and the failed zset
// by rank.
boost::asio::awaitable<job_dependencies> read_dependencies(redis::connection& conn, const queue_keys& k, std::string id,
                                                           dependencies_query q);

boost::asio::awaitable<dependency_counts> read_dependency_counts(redis::connection& conn, const queue_keys& k,
                                                                 std::string id);

}  // namespace drover::detail
