// replication_lanes.cpp - see replication_lanes.hpp.
#include "core/replication_lanes.hpp"

#include <fmt/format.h>

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
  std::vector<std::weak_ptr<redis::connection>> opened;  // free or lent out
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
  const auto give_up = event::clock::now() + s->opts.command_timeout;
  for (;;) {
    if (s->closed) throw error(errc::closed, "queue closed");
    if (!s->free.empty()) {
      auto conn = std::move(s->free.back());
      s->free.pop_back();
      co_return lease(s, std::move(conn));
    }
    if (s->opened.size() < max_lanes) {
      auto conn = queue_connection(s->ex, s->opts, s->keys);
      s->opened.push_back(conn);
      co_return lease(s, std::move(conn));
    }
    if (event::clock::now() >= give_up) {
      throw error(errc::redis_timeout, fmt::format("no replicated add of queue {} ended within {} ms to make room",
                                                   s->keys.queue(), s->opts.command_timeout.count()));
    }
    co_await s->freed.wait_until(give_up);
  }
}

void replication_lanes::close() {
  state_->closed = true;
  for (auto& weak : state_->opened) {
    if (auto c = weak.lock()) c->close();
  }
  state_->free.clear();
  state_->freed.notify_all();
}

}  // namespace drover::detail
