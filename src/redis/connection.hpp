// connection.hpp - one Redis connection: pipelined, asynchronous, reconnecting.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drover/error.hpp"
#include "drover/redis_options.hpp"
#include "redis/command.hpp"
#include "redis/reply.hpp"

namespace boost::asio::ssl {
class context;
}

namespace drover::redis {

class transport;
class sentinel_watch;

// A connection to one Redis server.
//
// Lifecycle:
//  1. The first exec() connects: with Sentinel, asks the sentinels where the master is;
//     over TLS, verifies the server's certificate; then AUTH, SELECT, ROLE (Sentinel:
//     must say master), CLIENT SETNAME as configured.
//  2. Every exec() is written at once behind whatever is in flight (pipelining);
//     replies are matched to callers in order.
//  3. When the socket fails, every caller waiting gets errc::redis_unavailable;
//     calls during the back-off that follows fail at once with the last error,
//     and the first call after it reconnects. Nothing is retried here: only the
//     caller knows whether a command is safe to send twice.
//  4. With Sentinel, a READONLY, LOADING or UNBLOCKED error reply means the master
//     moved (a failover): it fails the connection like a lost socket, so that the
//     next call asks the sentinels again. So does the sentinels' own announcement of
//     a new master (+switch-master, heard by sentinel_watch), which comes first.
//  5. On a Redis Cluster, every connect asks the nodes for the slot map and goes to the
//     master of the connection's slot (a queue's; any master without one). A command
//     answered MOVED sends the connection there once what is in flight has come back;
//     ASK sends the call (a whole pipeline, each command behind an ASKING, a transaction
//     behind one; not a pipeline of two different scripts) to the importing node, where
//     a script is loaded if missing; TRYAGAIN and CLUSTERDOWN
//     wait and send again. Only calls that Redis refused whole are sent again (every
//     reply a redirection, or a transaction aborted by one): nothing runs twice.
//
// Thread safety: not thread-safe. Use it from the executor it was made with
// (a single-threaded io_context or a strand).
class connection : public std::enable_shared_from_this<connection> {
 public:
  using executor_type = boost::asio::any_io_executor;

  // `slot`: on a cluster, the slot whose master to talk to (redis::hash_slot of a
  // queue's keys); without one, any master, then wherever MOVED says.
  static std::shared_ptr<connection> create(executor_type ex, redis_options opts, std::string client_name = {},
                                            std::optional<std::uint16_t> slot = {});
  ~connection();

  // Sends the commands as one pipeline and returns one reply per command; Redis
  // error replies are returned, not thrown. Throws drover::error with
  // redis_unavailable, redis_timeout or closed. extra_timeout extends the
  // command timeout for blocking commands.
  boost::asio::awaitable<std::vector<reply>> exec(std::vector<command> cmds,
                                                  std::chrono::milliseconds extra_timeout = {});
  boost::asio::awaitable<reply> exec(command cmd, std::chrono::milliseconds extra_timeout = {});
  // As exec, leaving the commands with the caller (who keeps them alive until it returns
  // and may send them again): no copy of their arguments on the hot path.
  boost::asio::awaitable<std::vector<reply>> exec_kept(const std::vector<command>& cmds,
                                                       std::chrono::milliseconds extra_timeout = {});

  // Fails what is in flight with errc::closed and refuses later calls.
  void close();
  // Drops the socket (callers get redis_unavailable) but allows reconnecting at once:
  // how a blocking command is interrupted.
  void interrupt();
  // The sentinels announced a new master (sentinel_watch): like interrupt(), so that the
  // next call asks them again, the announcing one first (sentinel `announced_by` of the
  // options' list: it knows the new master, where another may not yet); a connection
  // backing off connects at the next call instead. Call it on this connection's executor.
  void master_switched(std::optional<std::size_t> announced_by = std::nullopt);
  // Calls `fn` after each such announcement, for an owner with a back-off of its own (the
  // worker's fetch loop) to try again at once; replaces an earlier one. `fn` runs on this
  // connection's executor.
  void on_master_switched(std::function<void()> fn) { on_master_switched_ = std::move(fn); }

  bool is_connected() const { return state_ == state::ready; }
  // Whether a call made now fails at once, unsent: closed, or backing off after a lost
  // connection until the next attempt to connect is due.
  bool fails_unsent() const {
    return state_ == state::closed || (state_ == state::backoff && clock::now() < retry_at_);
  }
  // After close(): every call fails at once.
  bool is_closed() const { return state_ == state::closed; }
  // This connection's CLIENT ID on the server (asked in the handshake), or 0 while
  // unknown or when the server refuses CLIENT ID (some proxies). A blocking command on
  // this connection can be ended early by CLIENT UNBLOCK <id> sent on another one.
  std::int64_t client_id() const { return client_id_; }
  const redis_options& options() const { return opts_; }
  const std::string& client_name() const { return client_name_; }

  struct op;  // one exec() waiting for its replies
  struct exec_initiation;

 private:
  enum class state { idle, connecting, ready, backoff, closed };
  using clock = std::chrono::steady_clock;

  connection(executor_type ex, redis_options opts, std::string client_name);

  boost::asio::awaitable<std::vector<reply>> exec_once(const std::vector<command>& cmds,
                                                       std::chrono::milliseconds extra_timeout);
  // Cluster redirections (see lifecycle 5).
  boost::asio::awaitable<std::vector<reply>> follow_redirections(std::vector<command> cmds, std::vector<reply> replies,
                                                                 std::chrono::milliseconds extra_timeout);
  void follow_moved(redis_endpoint target);
  void reroute_now();
  boost::asio::awaitable<std::vector<reply>> ask_once(const redis_endpoint& target, const std::vector<command>& cmds,
                                                      std::chrono::milliseconds extra_timeout);

  void submit(std::unique_ptr<op> o, std::string payload);
  void start_connect();
  boost::asio::awaitable<void> do_connect(std::uint64_t gen);
  boost::asio::awaitable<void> read_loop(std::uint64_t gen);
  boost::asio::awaitable<void> watchdog(std::uint64_t gen);
  void start_write();
  void on_ready(std::uint64_t gen);
  void fail(errc code, const std::string& why, bool back_off);
  std::string unheard_hint(const boost::system::error_code& ec) const;
  std::exception_ptr make_error(errc code, const std::string& why) const;

  executor_type ex_;
  redis_options opts_;
  std::string client_name_;
  // Made on the first TLS connect, and again on a reconnect after its files changed.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::string tls_stamp_;                  // tls_files_stamp when tls_context_ was made
  std::shared_ptr<transport> transport_;   // this generation's stream
  std::shared_ptr<sentinel_watch> watch_;  // with Sentinel only
  bool master_named_ = false;              // with Sentinel: the sentinels have named a master once
  // With Sentinel: whom to ask first, and who named the master this connect is trying
  // (until the handshake confirms its role). A master that cannot be reached or is not
  // a master moves the question on to the next sentinel: one cut off from the others
  // names the old master for good.
  std::size_t sentinel_first_ = 0;
  std::optional<std::size_t> named_by_;
  std::function<void()> on_master_switched_;
  state state_ = state::idle;
  std::uint64_t generation_ = 0;
  std::deque<std::unique_ptr<op>> inflight_;                         // written, awaiting replies
  std::deque<std::pair<std::unique_ptr<op>, std::string>> pending_;  // waiting for the connection
  std::string outbox_;
  boost::asio::steady_timer* watchdog_timer_ = nullptr;  // the running watchdog's: fail() ends its wait
  std::string writing_buf_;
  bool writing_ = false;
  bool heard_ = false;      // a byte from the server since this connection was made
  void* reader_ = nullptr;  // redisReader*
  clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_;
  std::string last_error_;
  std::int64_t client_id_ = 0;
  // Redis Cluster only.
  std::optional<std::uint16_t> slot_;
  std::optional<redis_endpoint> moved_to_;     // where the next connect goes, skipping the map
  bool rerouting_ = false;                     // moved: new calls wait until the in-flight ones return
  std::vector<redis_endpoint> cluster_nodes_;  // the last map's nodes: asked first next time
  std::vector<std::pair<redis_endpoint, std::shared_ptr<connection>>> ask_peers_;
  std::shared_ptr<connection> asking_;  // the node asked for the map during a connect
};

}  // namespace drover::redis
