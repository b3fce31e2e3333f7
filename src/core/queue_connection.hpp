// queue_connection.hpp - the one way to open a connection for a queue's keys: on a Redis
// Cluster, checked to keep them in one slot and sent to that slot's master.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

#include "core/keys.hpp"
#include "drover/redis_options.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

// Throws error(invalid_argument) saying how to name the queue when `opts` is a cluster
// and the queue's keys would spread over its slots (no hash tag in the prefix or the
// name): BullMQ's scripts touch many of a queue's keys at once, which a cluster only
// allows within one slot. Nothing to check on a single server or behind Sentinel.
void check_cluster_slot(const redis_options& opts, const queue_keys& keys);

// A connection for `keys`, after check_cluster_slot.
std::shared_ptr<redis::connection> queue_connection(boost::asio::any_io_executor ex, const redis_options& opts,
                                                    const queue_keys& keys, std::string client_name = {});

}  // namespace drover::detail
