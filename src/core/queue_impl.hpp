// queue_impl.hpp - what a queue holds: its keys and its connection.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/keys.hpp"
#include "core/queue_connection.hpp"
#include "core/replication_lanes.hpp"
#include "core/script_runner.hpp"
#include "drover/queue.hpp"
#include "redis/connection.hpp"

namespace drover {

class queue_events;

struct queue::impl {
  impl(boost::asio::any_io_executor ex, std::string name, queue_options o)
      : opts(std::move(o)),
        keys(opts.prefix, name),
        conn(detail::queue_connection(ex, opts.redis, keys)),
        lanes(ex, opts.redis, keys),
        tracing(drover::tracer::of(opts.tracing)) {}

  queue_options opts;
  detail::queue_keys keys;
  std::shared_ptr<redis::connection> conn;
  detail::replication_lanes lanes;          // adds with a WAIT behind them, apart from conn
  std::shared_ptr<drover::tracer> tracing;  // null: tracing off
  bool version_written = false;             // meta.version, before the first add (queue.cpp)
  // keep_ids_above's floor, raised with every numeric id an add gets; none: not kept.
  std::optional<std::int64_t> id_floor;
  // The event readers of the wait_until_finished calls in progress, each on a connection
  // of its own: close() closes them too, or a wait without a ttl outlived it for good.
  // Shared with the waits, which may end after the queue is gone (~queue closes them).
  struct wait_registry {
    std::vector<queue_events*> readers;
    bool closed = false;  // a wait that starts after close() ends at once
  };
  std::shared_ptr<wait_registry> waits = std::make_shared<wait_registry>();
};

namespace detail {
// Writes meta.version, as Node's Queue does when it is made, once per queue object:
// before its first add or job scheduler (queue.cpp).
boost::asio::awaitable<void> write_version_once(queue::impl& q);
}  // namespace detail

}  // namespace drover
