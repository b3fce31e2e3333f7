// replication_lanes.hpp - the connections a queue's replicated adds use, apart from its
// other calls.
//
// WAIT blocks the connection it is sent on, on the server: whatever that connection
// sends next waits until the WAIT ends, up to its timeout when a replica is away. On the
// queue's one connection, every read (a job's status) queued behind the WAITs of
// concurrent adds, and the adds queued behind each other's WAITs: with one replica
// stopped, a few concurrent sends made every call on the connection time out. So a
// replicated add takes a lane, a connection it has to itself until its WAIT answers,
// and concurrent adds WAIT side by side on lanes of their own. Lanes are opened when
// first needed, up to max_lanes; beyond that an add waits for one to come free, for at
// most the connection's command timeout.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <vector>

#include "core/keys.hpp"
#include "core/worker/event.hpp"
#include "drover/redis_options.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

// Thread safety: none; use it from the queue's executor.
class replication_lanes {
  struct state;

 public:
  // As many as the API's send batches in flight (send_batches::max_in_flight).
  static constexpr std::size_t max_lanes = 4;

  // A lane held: its connection goes back to the free ones when the lease ends.
  class lease {
   public:
    lease(std::shared_ptr<state> s, std::shared_ptr<redis::connection> c) : state_(std::move(s)), conn_(std::move(c)) {}
    lease(lease&&) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease();
    redis::connection& connection() const { return *conn_; }

   private:
    std::shared_ptr<state> state_;
    std::shared_ptr<redis::connection> conn_;
  };

  replication_lanes(boost::asio::any_io_executor ex, redis_options opts, queue_keys keys);

  // A free lane, opened if fewer than max_lanes exist, else the first to come free.
  // Throws error(closed) once close() was called, and error(redis_timeout) when none came
  // free within the command timeout.
  boost::asio::awaitable<lease> take();
  // Closes every lane, those lent out too: their adds fail with error(closed) at once,
  // as on the queue's own connection.
  void close();

 private:
  std::shared_ptr<state> state_;
};

}  // namespace drover::detail
