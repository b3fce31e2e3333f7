// replication_lanes.cpp - see replication_lanes.hpp.
#include "core/replication_lanes.hpp"

#include <algorithm>

#include "core/queue_connection.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

struct replication_lanes::state {
  state(net::any_io_executor e, redis_options o, queue_keys k)
      : ex(std::move(e)), opts(std::move(o)), keys(std::move(k)), freed(ex) {}
  net::any_io_executor ex;
  redis_options opts;
  queue_keys keys;
  std::vector<std::shared_ptr<redis::connection>> free;
  std::size_t opened = 0;
  bool closed = false;
  event freed;
};

replication_lanes::lease::~lease() {
  if (!state_ || !conn_) return;
  if (state_->closed) {
    conn_->close();
    return;
  }
  state_->free.push_back(std::move(conn_));
  state_->freed.notify_all();
}

replication_lanes::replication_lanes(net::any_io_executor ex, redis_options opts, queue_keys keys)
    : state_(std::make_shared<state>(std::move(ex), std::move(opts), std::move(keys))) {}

net::awaitable<replication_lanes::lease> replication_lanes::take() {
  auto s = state_;
  for (;;) {
    if (s->closed) throw error(errc::closed, "queue closed");
    if (!s->free.empty()) {
      auto conn = std::move(s->free.back());
      s->free.pop_back();
      co_return lease(s, std::move(conn));
    }
    if (s->opened < max_lanes) {
      ++s->opened;
      co_return lease(s, queue_connection(s->ex, s->opts, s->keys));
    }
    co_await s->freed.wait_until(event::clock::time_point::max());
  }
}

void replication_lanes::close() {
  state_->closed = true;
  for (auto& c : state_->free) c->close();
  state_->free.clear();
  state_->freed.notify_all();
}

}  // namespace drover::detail
