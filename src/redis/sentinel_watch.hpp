// sentinel_watch.hpp - hears the sentinels announce a failover and tells the connections.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drover/redis_options.hpp"

namespace drover::redis {

class connection;

// A subscription to `+switch-master` on every sentinel of a set, shared by every
// connection of this process to that set's master. A planned failover (SENTINEL
// FAILOVER) leaves the old master up and writable for seconds before the sentinels demote
// it; without this, connections would keep writing there, and what they wrote would be
// dropped by the demotion. Every sentinel, because they announce at different times: the
// one leading the failover only when it ends (once the other replicas resynchronised,
// seconds later), the others as soon as they see the promotion. On the first announcement
// of a switch each connection is told at once, on its own executor, and asks the
// sentinels again, the announcing one first (another may not know the switch yet); the
// same switch announced by the others is not told twice.
//
// Lifecycle: of() makes the watch when the first connection to a master wants it and
// starts the subscriber on that connection's executor; the connections hold it, and when
// the last one is gone the subscriber stops.
// Thread safety: of() and add() may be called from any thread.
class sentinel_watch {
 public:
  static std::shared_ptr<sentinel_watch> of(const redis_options& opts, boost::asio::any_io_executor ex);
  ~sentinel_watch();
  sentinel_watch(const sentinel_watch&) = delete;
  sentinel_watch& operator=(const sentinel_watch&) = delete;

  // Tells `conn` (held weakly) of every switch of the master from now on.
  void add(const std::shared_ptr<connection>& conn, boost::asio::any_io_executor conn_ex);

  struct state;  // shared with the subscriber coroutine

 private:
  explicit sentinel_watch(std::shared_ptr<state> s) : state_(std::move(s)) {}
  std::shared_ptr<state> state_;
};

}  // namespace drover::redis
