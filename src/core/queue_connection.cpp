// queue_connection.cpp - queue connections routed by the queue's hash slot.
#include "core/queue_connection.hpp"

#include <fmt/format.h>

#include "drover/error.hpp"
#include "redis/hash_slot.hpp"

namespace drover::detail {

void check_cluster_slot(const redis_options& opts, const queue_keys& keys) {
  if (opts.cluster.seeds.empty() || redis::fixed_slot(keys.base())) return;
  throw error(errc::invalid_argument,
              fmt::format("queue '{}' with prefix '{}' cannot run on a Redis Cluster: its keys '{}*' would spread "
                          "over the cluster's slots. Give it a hash tag so that they share one: in the queue's "
                          "name ('{{{}}}') or in the prefix ('{{{}}}'), as BullMQ requires",
                          keys.queue(), keys.prefix(), keys.base(), keys.queue(), keys.prefix()));
}

std::shared_ptr<redis::connection> queue_connection(boost::asio::any_io_executor ex, const redis_options& opts,
                                                    const queue_keys& keys, std::string client_name) {
  check_cluster_slot(opts, keys);
  return redis::connection::create(std::move(ex), opts, std::move(client_name), redis::fixed_slot(keys.base()));
}

}  // namespace drover::detail
