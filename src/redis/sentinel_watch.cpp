// sentinel_watch.cpp - the +switch-master subscriber and the connections it tells.
#include "redis/sentinel_watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>

#include "redis/connection.hpp"
#include "redis/sentinel_session.hpp"

namespace net = boost::asio;

namespace drover::redis {

struct sentinel_watch::state {
  redis_options opts;
  std::mutex mutex;
  std::vector<std::pair<std::weak_ptr<connection>, net::any_io_executor>> listeners;  // GUARDED_BY(mutex)
  bool stopped = false;                                                               // GUARDED_BY(mutex)
  std::size_t running = 0;  // subscribers whose frames live, one per sentinel          // GUARDED_BY(mutex)
  std::string last_switch;  // the last announcement told, and when                      // GUARDED_BY(mutex)
  std::chrono::steady_clock::time_point last_switch_at;  // GUARDED_BY(mutex)

  // Whether `payload` ("<name> <old ip> <old port> <new ip> <new port>") is news: each
  // sentinel announces the same switch, seconds apart, and telling the connections again
  // would fail the calls they have under way on the new master.
  bool first_to_announce(const std::string& payload) {
    std::lock_guard lock(mutex);
    const auto now = std::chrono::steady_clock::now();
    if (payload == last_switch && now - last_switch_at < std::chrono::minutes(1)) return false;
    last_switch = payload;
    last_switch_at = now;
    return true;
  }

  void tell_all(std::size_t announced_by) {
    std::vector<std::pair<std::weak_ptr<connection>, net::any_io_executor>> copy;
    {
      std::lock_guard lock(mutex);
      std::erase_if(listeners, [](const auto& l) { return l.first.expired(); });
      copy = listeners;
    }
    for (auto& [weak, conn_ex] : copy) {
      net::post(conn_ex, [weak, announced_by] {
        if (auto conn = weak.lock()) conn->master_switched(announced_by);
      });
    }
  }
  bool is_stopped() {
    std::lock_guard lock(mutex);
    return stopped;
  }
};

namespace {

std::mutex registry_mutex;
// One watch per set of sentinels and master name; weak, so that it ends with its last user.
std::map<std::string, std::weak_ptr<sentinel_watch>>& registry() {
  static std::map<std::string, std::weak_ptr<sentinel_watch>> watches;
  return watches;
}

std::string key_of(const redis_options& o) {
  std::string key = o.sentinel.master_name;
  for (const auto& s : o.sentinel.sentinels) key += " " + endpoint_text(s);
  return key;
}

// "+switch-master <name> <old ip> <old port> <new ip> <new port>" for our master?
bool announces_switch(const reply& r, const std::string& master_name) {
  if (!r.is_array() || r.elements.size() != 3 || r.elements[0].as_string() != "message") return false;
  const auto payload = r.elements[2].as_string();
  return payload.compare(0, master_name.size() + 1, master_name + " ") == 0;
}

// Counts a subscriber out when its frame ends, also when its io_context is destroyed with
// the frame suspended, so that the next connection starts them again once all have ended.
struct running_mark {
  std::shared_ptr<sentinel_watch::state> s;
  ~running_mark() {
    std::lock_guard lock(s->mutex);
    --s->running;
  }
};

// Subscribed, the sentinel is pinged every 200 ms: a dead sentinel is noticed, and the
// loop sees within that time that its last user is gone (nothing is posted to it, so a
// destroyed io_context is no danger). A switch announced meanwhile waits in the socket
// for at most those 200 ms.
// One per sentinel: a sentinel that fails is subscribed to again a second later.
net::awaitable<void> subscribe(std::shared_ptr<sentinel_watch::state> s, std::size_t index) {
  running_mark mark{s};
  const auto& opts = s->opts;
  const auto sentinel = opts.sentinel.sentinels[index];
  auto ex = co_await net::this_coro::executor;
  std::shared_ptr<net::ssl::context> tls;
  net::steady_timer pause(ex);
  bool told_refusal = false;
  while (!s->is_stopped()) {
    std::string failure;
    try {
      if (opts.tls.enabled && !tls) tls = make_tls_context(opts.tls);
      auto opening = open_sentinel_session(ex, tls, sentinel, opts);  // named: GCC 12 and temporaries in co_await
      auto opened = co_await std::move(opening);
      auto& session = *opened;
      std::vector<command> subscribe_cmd;
      subscribe_cmd.push_back(command{"SUBSCRIBE", "+switch-master"});
      auto replies = co_await session.call(std::move(subscribe_cmd));
      if (replies.front().is_error()) {
        // An ACL without the subscription is retried every second all the same, but said
        // once: without it a failover is learned only when a command fails (a review
        // found it refused in the sentinels' ACL LOG, and nothing in drover's).
        if (!told_refusal && replies.front().str.starts_with("NOPERM")) {
          told_refusal = true;
          spdlog::warn(
              "redis: the sentinel {} refuses SUBSCRIBE +switch-master ({}): failovers are noticed only "
              "when a command fails; give the sentinel user +subscribe and the channel &+switch-master",
              endpoint_text(sentinel), replies.front().str);
        }
        throw std::runtime_error(replies.front().str);
      }
      session.disarm();
      while (!s->is_stopped()) {
        session.arm(opts.connect_timeout);
        std::vector<command> ping;
        ping.push_back(command{"PING"});
        co_await session.send(std::move(ping));
        for (;;) {
          auto r = co_await session.next();
          if (announces_switch(r, opts.sentinel.master_name) && s->first_to_announce(r.elements[2].as_string())) {
            spdlog::info("redis: the sentinels switched the master '{}': {} (announced by {})",
                         opts.sentinel.master_name, r.elements[2].as_string(), endpoint_text(sentinel));
            s->tell_all(index);
          } else if (r.is_array() && !r.elements.empty() && r.elements[0].as_string() == "pong") {
            break;
          }
        }
        session.disarm();
        pause.expires_after(std::chrono::milliseconds(200));
        co_await pause.async_wait(net::use_awaitable);
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (s->is_stopped()) break;
    spdlog::debug("redis: watching the sentinel {} for failovers: {}", endpoint_text(sentinel), failure);
    pause.expires_after(std::chrono::seconds(1));
    boost::system::error_code ignored;
    co_await pause.async_wait(net::redirect_error(net::use_awaitable, ignored));
  }
}

// Starts the subscribers on `ex` unless they run.
void start(const std::shared_ptr<sentinel_watch::state>& s, net::any_io_executor ex) {
  {
    std::lock_guard lock(s->mutex);
    if (s->running > 0) return;
    s->running = s->opts.sentinel.sentinels.size();
  }
  for (std::size_t index = 0; index < s->opts.sentinel.sentinels.size(); ++index) {
    net::co_spawn(ex, subscribe(s, index), [](std::exception_ptr) {});  // subscribe() catches what it can
  }
}

}  // namespace

std::shared_ptr<sentinel_watch> sentinel_watch::of(const redis_options& opts, net::any_io_executor ex) {
  std::lock_guard lock(registry_mutex);
  auto& slot = registry()[key_of(opts)];
  auto watch = slot.lock();
  if (!watch) {
    auto s = std::make_shared<state>();
    s->opts = opts;
    watch.reset(new sentinel_watch(std::move(s)));
    slot = watch;
  }
  start(watch->state_, std::move(ex));
  return watch;
}

sentinel_watch::~sentinel_watch() {
  std::lock_guard lock(state_->mutex);
  state_->stopped = true;
}

void sentinel_watch::add(const std::shared_ptr<connection>& conn, net::any_io_executor conn_ex) {
  std::lock_guard lock(state_->mutex);
  std::erase_if(state_->listeners, [](const auto& l) { return l.first.expired(); });
  state_->listeners.emplace_back(conn, std::move(conn_ex));
}

}  // namespace drover::redis
