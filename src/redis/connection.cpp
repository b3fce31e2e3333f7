// connection.cpp - the pipelined Redis connection: connect, write, read, watch, fail.
#include "redis/connection.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <functional>

#include "redis/cluster.hpp"
#include "redis/eviction_policy.hpp"
#include "redis/sentinel.hpp"
#include "redis/sentinel_watch.hpp"
#include "redis/transport.hpp"

namespace net = boost::asio;
using net::ip::tcp;

namespace drover::redis {

struct connection::op {
  std::size_t expected = 0;
  std::vector<reply> replies;
  clock::time_point deadline;
  std::string what;  // the first command's name, for timeout messages
  virtual ~op() = default;
  virtual void complete(std::exception_ptr e) = 0;
};

namespace {

template <class Handler>
struct handler_op final : connection::op {
  Handler handler;
  connection::executor_type fallback;
  handler_op(Handler h, connection::executor_type ex) : handler(std::move(h)), fallback(std::move(ex)) {}
  void complete(std::exception_ptr e) override {
    auto ex = net::get_associated_executor(handler, fallback);
    net::post(ex, [h = std::move(handler), e, r = std::move(replies)]() mutable { h(e, std::move(r)); });
  }
};

// Internal commands (the handshake) check their own replies.
struct callback_op final : connection::op {
  std::function<void(std::exception_ptr, std::vector<reply>&)> fn;
  void complete(std::exception_ptr e) override { fn(e, replies); }
};

redisReader* as_reader(void* p) { return static_cast<redisReader*>(p); }

// Error replies that mean the server we talk to is no longer the master: it became a
// replica (READONLY; in a script, the error comes wrapped), is loading a data set
// (LOADING), or unblocked us on becoming a replica (UNBLOCKED).
bool says_master_moved(const reply& r) {
  if (!r.is_error()) return false;
  const std::string_view text = r.str;
  return text.starts_with("READONLY") || text.starts_with("LOADING") || text.starts_with("UNBLOCKED") ||
         text.find("-READONLY") != std::string_view::npos;
}

// Whether Redis refused the whole call, so that sending it again runs nothing twice:
// every reply is a redirection, a script load, a WAIT (behind a replicated add), or part
// of a transaction that one aborted (MULTI, QUEUED, EXECABORT).
bool refused_whole(const std::vector<command>& cmds, const std::vector<reply>& replies) {
  bool redirected = false;
  for (std::size_t i = 0; i < replies.size() && i < cmds.size(); ++i) {
    const auto& r = replies[i];
    const auto name = cmds[i].name();
    if (redirection_of(r).type != redirection::kind::none) {
      redirected = true;
    } else if (name == "SCRIPT" || name == "MULTI" || name == "WAIT" || (r.is_string() && r.str == "QUEUED") ||
               (name == "EXEC" && r.is_error() && r.str.starts_with("EXECABORT"))) {
      // Harmless twice, or discarded with the transaction.
    } else {
      return false;
    }
  }
  return redirected;
}

// Whether a pipeline refused with ASK may be sent whole to the importing node. Not one
// calling two different scripts: the node may lack one of them, and the calls then run
// out of order (the first and third run, the second is sent again after NOSCRIPT), which
// the script runner's SCRIPT EXISTS check is there to prevent. Such a pipeline is sent
// again after a pause until the migration ends.
bool may_ask_whole(const std::vector<command>& cmds) {
  std::string_view sha;
  for (const auto& c : cmds) {
    if (c.name() != "EVALSHA" || c.args().size() < 2) continue;
    const std::string_view mine = c.args()[1];
    if (!sha.empty() && mine != sha) return false;
    sha = mine;
  }
  return true;
}

redirection first_redirection(const std::vector<reply>& replies) {
  for (const auto& r : replies) {
    auto red = redirection_of(r);
    if (red.type != redirection::kind::none) return red;
  }
  return {};
}

// How often one call follows redirections before it fails as an outage (redis_unavailable);
// with the pauses between tries, about 3.4 s of TRYAGAIN.
constexpr int max_redirections = 16;

// Once per process: every connection of a worker would say the same.
void warn_unnamed(const std::string& name, const std::string& refusal) {
  static std::atomic_flag warned;
  if (warned.test_and_set()) return;
  spdlog::warn(
      "redis: CLIENT SETNAME '{}' refused ({}); going on unnamed, as BullMQ does: BullMQ's getWorkers will "
      "not list this worker",
      name, refusal);
}

}  // namespace

std::shared_ptr<connection> connection::create(executor_type ex, redis_options opts, std::string name,
                                               std::optional<std::uint16_t> slot) {
  std::shared_ptr<connection> c(new connection(std::move(ex), std::move(opts), std::move(name)));
  if (!c->opts_.cluster.seeds.empty()) c->slot_ = slot;
  if (!c->opts_.sentinel.sentinels.empty()) {
    c->watch_ = sentinel_watch::of(c->opts_, c->ex_);
    c->watch_->add(c, c->ex_);
  }
  return c;
}

connection::connection(executor_type ex, redis_options opts, std::string name)
    : ex_(std::move(ex)), opts_(std::move(opts)), client_name_(std::move(name)), backoff_(opts_.reconnect_min) {}

connection::~connection() {
  if (reader_) redisReaderFree(as_reader(reader_));
}

namespace {

// Only close() closes a connection: its owner's close() or destructor. Said so, since a
// call after one's own close() otherwise reads like an outage (a new user's review).
constexpr const char* closed_by_owner =
    "connection closed by its owner (close() was called on the queue, worker or client that holds it, or it was "
    "destroyed): make a new one";

}  // namespace

std::exception_ptr connection::make_error(errc code, const std::string& why) const {
  return std::make_exception_ptr(error(code, fmt::format("redis at {}: {}", opts_.endpoint(), why)));
}

// A named initiation with no owning members: GCC 12 destroys the state of a
// capturing lambda twice when it is handed to use_awaitable (a compiler bug), so
// everything that owns memory travels as an argument instead.
struct connection::exec_initiation {
  connection* self;
  template <class Handler>
  void operator()(Handler handler, std::string payload, std::size_t expected, std::string what,
                  std::chrono::milliseconds extra) const {
    auto o = std::make_unique<handler_op<Handler>>(std::move(handler), self->ex_);
    o->expected = expected;
    o->deadline = clock::now() + self->opts_.command_timeout + extra;
    o->what = std::move(what);
    self->submit(std::move(o), std::move(payload));
  }
};

net::awaitable<std::vector<reply>> connection::exec(std::vector<command> cmds,
                                                    std::chrono::milliseconds extra_timeout) {
  auto kept = exec_kept(cmds, extra_timeout);  // named: GCC 12 and temporaries in co_await
  co_return co_await std::move(kept);
}

net::awaitable<std::vector<reply>> connection::exec_kept(const std::vector<command>& cmds,
                                                         std::chrono::milliseconds extra_timeout) {
  auto self = shared_from_this();               // alive until the reply arrives
  auto first = exec_once(cmds, extra_timeout);  // named: GCC 12 and temporaries in co_await
  auto replies = co_await std::move(first);
  if (opts_.cluster.seeds.empty() || first_redirection(replies).type == redirection::kind::none) co_return replies;
  auto follow = follow_redirections(cmds, std::move(replies), extra_timeout);
  co_return co_await std::move(follow);
}

net::awaitable<std::vector<reply>> connection::follow_redirections(std::vector<command> cmds,
                                                                   std::vector<reply> replies,
                                                                   std::chrono::milliseconds extra_timeout) {
  auto self = shared_from_this();
  const auto give_up = clock::now() + opts_.command_timeout + extra_timeout;
  for (int attempt = 1;; ++attempt) {
    const auto red = first_redirection(replies);
    if (red.type == redirection::kind::none) co_return replies;
    if (red.type == redirection::kind::moved) follow_moved(red.target);
    if (!refused_whole(cmds, replies)) co_return replies;  // part of it ran: the caller reads each reply
    if (attempt > max_redirections || clock::now() > give_up) {
      // Nothing ran: an outage the caller may wait out, as a lost connection.
      const auto* last = &replies.front();
      for (const auto& r : replies) {
        if (redirection_of(r).type != redirection::kind::none) last = &r;
      }
      std::rethrow_exception(
          make_error(errc::redis_unavailable,
                     fmt::format("the cluster still redirected the call after {} tries ('{}'): a slot migration or a "
                                 "failover is under way (a script whose keys are not all on one node waits for the "
                                 "migration to end); try again",
                                 attempt, last->str)));
    }
    if (red.type == redirection::kind::ask && may_ask_whole(cmds)) {
      auto ask = ask_once(red.target, cmds, extra_timeout);
      replies = co_await std::move(ask);
      continue;
    }
    if (red.type != redirection::kind::moved) {
      // A failover or a migration under way: give it a moment.
      net::steady_timer pause(ex_);
      pause.expires_after(std::chrono::milliseconds(std::min(25 * attempt, 500)));
      co_await pause.async_wait(net::use_awaitable);
    }
    auto again = exec_once(cmds, extra_timeout);
    replies = co_await std::move(again);
  }
}

// The slot lives at `target` now: go there once the calls in flight (sent to the old
// node, so redirected too) have come back; calls made meanwhile wait for the new node.
void connection::follow_moved(redis_endpoint target) {
  if (target.host.empty()) target.host = opts_.host;                                  // "MOVED 1 :7001": the same host
  if (target.host == opts_.host && target.port == opts_.port && !rerouting_) return;  // followed already
  moved_to_ = std::move(target);
  if (state_ != state::ready) return;  // the coming connect goes there
  if (inflight_.empty()) {
    reroute_now();
  } else {
    rerouting_ = true;
  }
}

void connection::reroute_now() {
  rerouting_ = false;
  ++generation_;
  if (transport_) transport_->close();
  outbox_.clear();
  state_ = state::idle;
  if (!pending_.empty()) start_connect();
}

// The calls, each behind an ASKING (which lets only the next command in, or a whole
// transaction), at the node importing the slot; their replies without the ASKINGs'. A
// pipeline is asked whole: a script met NOSCRIPT there is loaded there (SCRIPT LOAD, then
// the EVALSHA again), and a WAIT counts that node's replicas.
net::awaitable<std::vector<reply>> connection::ask_once(const redis_endpoint& target, const std::vector<command>& cmds,
                                                        std::chrono::milliseconds extra_timeout) {
  std::shared_ptr<connection> peer;
  for (const auto& [where, c] : ask_peers_) {
    if (where == target) peer = c;
  }
  if (!peer) {
    peer = create(ex_, node_options(opts_, target), client_name_);
    ask_peers_.emplace_back(target, peer);
  }
  std::vector<command> asked;
  std::vector<bool> is_asking;
  bool in_transaction = false;
  for (const auto& c : cmds) {
    const auto name = c.name();
    if (!in_transaction) {
      asked.push_back(command{"ASKING"});
      is_asking.push_back(true);
    }
    if (name == "MULTI") in_transaction = true;
    if (name == "EXEC" || name == "DISCARD") in_transaction = false;
    asked.push_back(c);
    is_asking.push_back(false);
  }
  auto call = peer->exec(std::move(asked), extra_timeout);
  auto replies = co_await std::move(call);
  std::vector<reply> theirs;
  theirs.reserve(cmds.size());
  for (std::size_t i = 0; i < replies.size() && i < is_asking.size(); ++i) {
    if (!is_asking[i]) theirs.push_back(std::move(replies[i]));
  }
  co_return theirs;
}

net::awaitable<std::vector<reply>> connection::exec_once(const std::vector<command>& cmds,
                                                         std::chrono::milliseconds extra_timeout) {
  // Not a coroutine (no frame of its own on the hot path): the caller keeps `this` alive.
  std::string payload;
  for (const auto& c : cmds) encode(c, payload);
  std::string what = cmds.empty() ? std::string() : std::string(cmds.front().name());
  return net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, std::vector<reply>)>(
      exec_initiation{this}, net::use_awaitable, std::move(payload), cmds.size(), std::move(what), extra_timeout);
}

net::awaitable<reply> connection::exec(command cmd, std::chrono::milliseconds extra_timeout) {
  std::vector<command> cmds;
  cmds.push_back(std::move(cmd));
  auto replies = co_await exec(std::move(cmds), extra_timeout);
  co_return std::move(replies.front());
}

void connection::submit(std::unique_ptr<op> o, std::string payload) {
  if (o->expected == 0) {
    o->complete(nullptr);
    return;
  }
  switch (state_) {
    case state::closed:
      o->complete(make_error(errc::closed, closed_by_owner));
      return;
    case state::backoff:
      if (clock::now() < retry_at_) {
        o->complete(make_error(errc::redis_unavailable, "unavailable (" + last_error_ + ")"));
        return;
      }
      [[fallthrough]];
    case state::idle:
      pending_.emplace_back(std::move(o), std::move(payload));
      start_connect();
      return;
    case state::connecting:
      pending_.emplace_back(std::move(o), std::move(payload));
      return;
    case state::ready:
      if (rerouting_) {  // not to the node the slot left
        pending_.emplace_back(std::move(o), std::move(payload));
        return;
      }
      outbox_ += payload;
      inflight_.push_back(std::move(o));
      start_write();
      return;
  }
}

void connection::start_connect() {
  state_ = state::connecting;
  heard_ = false;
  auto gen = ++generation_;
  net::co_spawn(ex_, do_connect(gen), [self = shared_from_this(), gen](std::exception_ptr e) {
    if (!e || self->generation_ != gen) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      self->fail(errc::redis_unavailable, std::string("cannot connect: ") + ex.what(), true);
    }
  });
}

net::awaitable<void> connection::do_connect(std::uint64_t gen) {
  if (opts_.tls.enabled) {
    auto stamp = tls_files_stamp(opts_.tls);
    if (!tls_context_) {
      tls_context_ = make_tls_context(opts_.tls);
      tls_stamp_ = std::move(stamp);
    } else if (stamp != tls_stamp_) {
      // Files caught mid-rotation (a certificate before its key, a bundle being copied)
      // must not stop the connection: the context that worked goes on until they read.
      try {
        tls_context_ = make_tls_context(opts_.tls);
        tls_stamp_ = std::move(stamp);
      } catch (const std::exception& e) {
        spdlog::warn("redis: TLS files changed but cannot be used yet ({}); keeping the ones read before", e.what());
      }
    }
  }
  if (!opts_.cluster.seeds.empty()) {
    auto target = std::exchange(moved_to_, std::nullopt);
    if (!target) {
      // Every connect without a MOVED to follow asks again: after a failover the last
      // master is a replica, or gone.
      auto ask = ask_cluster(ex_, opts_, cluster_nodes_, &asking_);
      auto map = co_await std::move(ask);
      if (generation_ != gen) co_return;
      cluster_nodes_ = map.nodes();
      target = slot_ ? map.master_of(*slot_) : std::optional<redis_endpoint>(map.masters().front());
      if (!target) {
        throw std::runtime_error(fmt::format("no master serves slot {} (a failover under way?)", *slot_));
      }
    }
    opts_.host = target->host;
    opts_.port = target->port;
  }
  if (!opts_.sentinel.sentinels.empty()) {
    // Every connect asks again: after a failover the last master is a replica, or gone.
    auto ask = ask_sentinels(ex_, opts_, tls_context_, sentinel_first_);
    auto answer = co_await std::move(ask);
    if (generation_ != gen) co_return;
    const auto master = answer.master;
    named_by_ = answer.sentinel;
    // A change of master is worth a line; the first answer, every connection's, is not
    // (a CLI command would print it each time).
    if (master.host != opts_.host || master.port != opts_.port) {
      const auto level = master_named_ ? spdlog::level::info : spdlog::level::debug;
      spdlog::log(level, "redis: the sentinels name {}:{} as the master '{}'", master.host, master.port,
                  opts_.sentinel.master_name);
    }
    master_named_ = true;
    opts_.host = master.host;
    opts_.port = master.port;
  }
  auto stream = std::make_shared<transport>(ex_, tls_context_);
  transport_ = stream;
  tcp::resolver resolver(ex_);
  net::steady_timer timer(ex_);
  bool timed_out = false;
  timer.expires_after(opts_.connect_timeout);
  timer.async_wait([&, self = shared_from_this(), stream](boost::system::error_code ec) {
    if (!ec) {
      timed_out = true;
      resolver.cancel();
      stream->close();
    }
  });
  boost::system::error_code ec;
  std::string tls_failure;
  bool tcp_connected = false;
  auto endpoints = co_await resolver.async_resolve(opts_.host, std::to_string(opts_.port),
                                                   net::redirect_error(net::use_awaitable, ec));
  if (!ec && generation_ == gen) {
    co_await net::async_connect(stream->socket(), endpoints, net::redirect_error(net::use_awaitable, ec));
  }
  if (!ec && generation_ == gen) {
    tcp_connected = true;
    // Caught, not thrown: the timer above must be cancelled before this frame ends.
    try {
      co_await stream->handshake(opts_.tls, opts_.host, "REDIS_TLS_SERVER_NAME, --redis-tls-server-name");
    } catch (const std::exception& e) {
      tls_failure = e.what();
    }
  }
  timer.cancel();
  if (generation_ != gen) co_return;
  if (timed_out && tcp_connected && opts_.tls.enabled) {
    // A plain server reads the ClientHello as a command and waits for the rest.
    throw std::runtime_error(fmt::format(
        "timed out after {} ms in the TLS handshake (is the server speaking TLS on this port? if not, use redis://)",
        opts_.connect_timeout.count()));
  }
  if (timed_out) throw std::runtime_error(fmt::format("timed out after {} ms", opts_.connect_timeout.count()));
  if (ec) throw std::runtime_error(ec.message());
  if (!tls_failure.empty()) throw std::runtime_error(tls_failure);

  stream->socket().set_option(tcp::no_delay(true));
  if (reader_) redisReaderFree(as_reader(reader_));
  reader_ = create_reader();

  // The handshake goes first, ahead of whatever callers queued meanwhile.
  std::vector<command> hello;
  if (!opts_.password.empty()) {
    command auth{"AUTH"};
    if (!opts_.username.empty()) auth.push(opts_.username);
    hello.push_back(std::move(auth.push(opts_.password)));
  }
  if (opts_.db != 0) hello.push_back(command{"SELECT"}.push(opts_.db));
  // The sentinels' answer may be stale (a failover under way): check before using it.
  const bool check_role = !opts_.sentinel.sentinels.empty();
  if (check_role) hello.push_back(command{"ROLE"});
  const std::size_t required = hello.size();
  // Optional from here on. The connection's name, which BullMQ's getWorkers lists: Redis
  // refuses a name with a space or a non-ASCII character, which a queue prefix or a
  // worker's name may hold, and Node's BullMQ then goes on unnamed; so does drover.
  const bool set_name = !client_name_.empty();
  if (set_name) hello.push_back(command{"CLIENT", "SETNAME"}.push(client_name_));
  // The first connection of the process to this server also asks for its eviction
  // policy, to warn at start-up as BullMQ does.
  const bool ask_policy = eviction_policy::claim(opts_.endpoint());
  if (ask_policy) hello.push_back(command{"INFO", "memory"});
  // Last: without it only the early end of blocking waits is lost.
  hello.push_back(command{"CLIENT", "ID"});
  client_id_ = 0;
  state_ = state::ready;
  auto o = std::make_unique<callback_op>();
  o->expected = hello.size();
  // Part of connecting: a server that takes the connection and never answers is away, and
  // is given connect_timeout as one that never takes it is (each call waited the whole
  // command timeout behind the handshake, and the next one again: a new user's review).
  o->deadline = clock::now() + std::min(opts_.connect_timeout, opts_.command_timeout);
  o->what = "handshake";
  o->fn = [self = shared_from_this(), gen, required, set_name, ask_policy, check_role](std::exception_ptr e,
                                                                                       std::vector<reply>& replies) {
    const auto& endpoint = self->opts_.endpoint();
    if (e || self->generation_ != gen || replies.size() <= required) {
      if (ask_policy) eviction_policy::release(endpoint);
      return;
    }
    // Before the required replies: without a password every reply is NOAUTH, even the
    // optional ones (the handshake then has no AUTH), and the callers' commands pipelined
    // behind it would fail with Redis's less helpful "unauthenticated multibulk length".
    for (const auto& r : replies) {
      if (auto refusal = r.is_error() ? redis::explain_refusal(r.str) : std::nullopt) {
        if (ask_policy) eviction_policy::release(endpoint);
        self->fail(errc::redis_unavailable, *refusal, true);
        return;
      }
    }
    for (std::size_t i = 0; i < required; ++i) {
      if (replies[i].is_error()) {
        if (ask_policy) eviction_policy::release(endpoint);  // NOAUTH would answer INFO too
        self->fail(errc::redis_unavailable, "handshake refused: " + replies[i].str, true);
        return;
      }
    }
    if (check_role) {
      const auto& role = replies[required - 1];
      const auto name = role.is_array() && !role.elements.empty() ? role.elements.front().as_string() : role.str;
      if (name != "master") {
        if (ask_policy) eviction_policy::release(endpoint);
        self->fail(errc::redis_unavailable,
                   fmt::format("the sentinels named a server whose role is '{}', not master; asking again", name),
                   true);
        return;
      }
      self->named_by_.reset();  // confirmed: that sentinel stays the first asked
    }
    if (set_name && replies[required].is_error()) warn_unnamed(self->client_name_, replies[required].str);
    if (ask_policy) eviction_policy::report(endpoint, replies[required + (set_name ? 1 : 0)]);
    self->client_id_ = replies.back().as_int().value_or(0);
  };
  for (const auto& c : hello) encode(c, outbox_);
  inflight_.push_back(std::move(o));
  on_ready(gen);
}

void connection::on_ready(std::uint64_t gen) {
  backoff_ = opts_.reconnect_min;
  for (auto& [o, payload] : pending_) {
    outbox_ += payload;
    inflight_.push_back(std::move(o));
  }
  pending_.clear();
  auto self = shared_from_this();
  net::co_spawn(ex_, read_loop(gen), net::detached);
  net::co_spawn(ex_, watchdog(gen), net::detached);
  start_write();
}

void connection::start_write() {
  if (writing_ || outbox_.empty() || state_ != state::ready) return;
  writing_ = true;
  writing_buf_.clear();
  writing_buf_.swap(outbox_);
  auto gen = generation_;
  // The handler keeps this generation's stream alive while the write is pending.
  transport_->async_write(net::buffer(writing_buf_), [self = shared_from_this(), gen, stream = transport_](
                                                         boost::system::error_code ec, std::size_t) {
    self->writing_ = false;
    if (self->generation_ != gen) return;
    if (ec) {
      self->fail(errc::redis_unavailable, "write failed: " + describe_stream_error(ec) + self->unheard_hint(ec), true);
      return;
    }
    self->start_write();
  });
}

// Why a stream may have ended before the server said anything, read or write alike (which
// of the two fails first is the kernel's race): a TLS server wanting a client certificate,
// or a server that takes TLS only, which drops a plain client at its first bytes.
std::string connection::unheard_hint(const boost::system::error_code& ec) const {
  if (opts_.tls.enabled) return missing_client_certificate_hint(ec, true, heard_);
  return heard_ ? "" : " before any reply (if the server takes TLS only, use rediss://)";
}

// Reading never throws: every failure ends in fail(), which fails the callers.
net::awaitable<void> connection::read_loop(std::uint64_t gen) {
  auto self = shared_from_this();
  auto stream = transport_;  // outlives a reconnect while this read is pending
  char buf[16384];
  for (;;) {
    boost::system::error_code ec;
    auto n = co_await stream->async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    if (generation_ != gen) co_return;
    if (ec) {
      auto why = describe_stream_error(ec);
      if (why != "connection closed by server") why = "read failed: " + why;
      why += unheard_hint(ec);
      // A server that turns a client away (maxclients) answers with an error and closes:
      // its words say why, where "connection closed" sent operators to the network. Only
      // that refusal: another error in the batch (NOSCRIPT, WRONGTYPE) is not why a
      // connection dropped.
      if (!inflight_.empty()) {
        for (const auto& r : inflight_.front()->replies) {
          if (r.is_error() && is_maxclients_refusal(r.str)) {
            why = "the server answered and closed the connection: " + explained(r.str);
            break;
          }
        }
      }
      fail(errc::redis_unavailable, why, true);
      co_return;
    }
    heard_ = true;
    auto* reader = as_reader(reader_);
    if (redisReaderFeed(reader, buf, n) != REDIS_OK) {
      fail(errc::protocol_error, std::string("bad reply: ") + reader->errstr, true);
      co_return;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
        fail(errc::protocol_error, std::string("bad reply: ") + reader->errstr, true);
        co_return;
      }
      if (!raw) break;
      reply r = take_reply(raw);
      const bool sentinel = !opts_.sentinel.sentinels.empty();
      if ((sentinel || !opts_.cluster.seeds.empty()) && says_master_moved(r)) {
        fail(errc::redis_unavailable,
             r.str + (sentinel ? " (a failover: asking the sentinels for the master again)"
                               : " (a failover: asking the cluster for the slot map again)"),
             true);
        co_return;
      }
      if (inflight_.empty()) {
        fail(errc::protocol_error, "reply without a command", true);
        co_return;
      }
      auto& front = inflight_.front();
      front->replies.push_back(std::move(r));
      if (front->replies.size() == front->expected) {
        auto done = std::move(front);
        inflight_.pop_front();
        done->complete(nullptr);
        if (generation_ != gen) co_return;  // the completion failed the connection
        if (rerouting_ && inflight_.empty()) {
          reroute_now();
          co_return;
        }
      }
    }
  }
}

// Replies come in order, so one late reply holds up all the others: when the
// oldest command is past its deadline, the connection is dropped and rebuilt.
net::awaitable<void> connection::watchdog(std::uint64_t gen) {
  auto self = shared_from_this();
  net::steady_timer timer(ex_);
  // fail() (a close too) cancels the tick, so that a closed connection leaves its event
  // loop nothing to wait for (io_context::run returned up to a tick late).
  watchdog_timer_ = &timer;
  struct unlist {
    connection& c;
    net::steady_timer* t;
    ~unlist() {
      if (c.watchdog_timer_ == t) c.watchdog_timer_ = nullptr;
    }
  } unlisted{*this, &timer};
  while (generation_ == gen && state_ == state::ready) {
    timer.expires_after(std::chrono::milliseconds(100));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (generation_ != gen || state_ != state::ready) co_return;
    if (!inflight_.empty() && clock::now() > inflight_.front()->deadline) {
      fail(errc::redis_timeout, "no reply to " + inflight_.front()->what + " in time", false);
      co_return;
    }
  }
}

void connection::fail(errc code, const std::string& why, bool back_off) {
  if (state_ == state::closed) return;
  ++generation_;
  if (named_by_) {
    sentinel_first_ = (*named_by_ + 1) % opts_.sentinel.sentinels.size();
    named_by_.reset();
  }
  if (watchdog_timer_) watchdog_timer_->cancel();
  if (transport_) transport_->close();
  last_error_ = why;
  rerouting_ = false;  // nothing in flight is left to wait for; the next connect follows moved_to_
  if (back_off) {
    state_ = state::backoff;
    retry_at_ = clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, opts_.reconnect_max);
  } else {
    state_ = state::idle;
  }
  outbox_.clear();
  auto inflight = std::move(inflight_);
  auto pending = std::move(pending_);
  inflight_.clear();
  pending_.clear();
  auto e = make_error(code, why);
  for (auto& o : inflight) o->complete(e);
  for (auto& p : pending) p.first->complete(e);
}

void connection::interrupt() {
  if (state_ == state::ready || state_ == state::connecting) fail(errc::cancelled, "interrupted", false);
}

void connection::master_switched(std::optional<std::size_t> announced_by) {
  if (state_ == state::ready || state_ == state::connecting) {
    fail(errc::redis_unavailable, "the sentinels announced a new master; asking them where", false);
  } else if (state_ == state::backoff) {
    // Backing off after losing the old master: there is a master to go to now, so the next
    // call connects at once instead of failing until the back-off ends (up to reconnect_max).
    state_ = state::idle;
    backoff_ = opts_.reconnect_min;
  }
  // After fail(), which moves the first sentinel on past the one that named the old master.
  if (announced_by && *announced_by < opts_.sentinel.sentinels.size()) sentinel_first_ = *announced_by;
  if (state_ != state::closed && on_master_switched_) {
    auto tell = on_master_switched_;  // it may replace itself
    tell();
  }
}

void connection::close() {
  if (state_ == state::closed) return;
  for (auto& [where, peer] : ask_peers_) peer->close();
  ask_peers_.clear();
  // A connect under way may be asking a node for the map: end that too (its coroutine
  // would otherwise wait on a connection nobody closes).
  if (auto asking = std::move(asking_)) asking->close();
  fail(errc::closed, closed_by_owner, false);
  state_ = state::closed;
}

}  // namespace drover::redis
