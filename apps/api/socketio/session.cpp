// session.cpp - Engine.IO session state: outbox, wakeups and heartbeat.
#include "api/socketio/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <iterator>

#include "api/socketio/server_state.hpp"

namespace drover::api::socketio::detail {
namespace net = boost::asio;

session::session(net::any_io_executor ex, std::string sid, transport_kind transport, timing t, server_state& owner)
    : sid_(std::move(sid)),
      transport_(transport),
      timing_(t),
      owner_(owner),
      wake_(ex, net::steady_timer::time_point::max()),
      heartbeat_(ex),
      connect_deadline_(ex),
      identity_deadline_(ex) {}

void session::send(engineio::packet_type type, std::string_view data) {
  // An overflowed session is doomed: keep nothing more for it, so that a burst of
  // emits before the close below runs cannot grow it again.
  if (closed_ || overflowed_) return;
  outbox_.push_back(engineio::encode_packet(type, data));
  outbox_bytes_ += outbox_.back().size();
  if (outbox_bytes_ > timing_.max_buffered) {
    overflowed_ = true;
    outbox_ = {};  // frees the memory now, not when the transport notices
    outbox_bytes_ = 0;
    net::post(wake_.get_executor(), [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self || self->closed_) return;
      self->owner_.close_session(self, "forced close");
      // A WebSocket writer may be stuck on the full TCP window: only closing the
      // connection ends that write and frees the message it holds.
      if (self->abort_transport) self->abort_transport();
    });
  }
  wake();
}

std::vector<std::string> session::take_outbox() {
  outbox_bytes_ = 0;
  std::vector<std::string> packets(std::make_move_iterator(outbox_.begin()), std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  return packets;
}

std::optional<std::string> session::take_next() {
  if (outbox_.empty()) return std::nullopt;
  std::string next = std::move(outbox_.front());
  outbox_.pop_front();
  outbox_bytes_ -= next.size();
  return next;
}

net::awaitable<void> session::wait() {
  // Cancellation is the wakeup, so the error code is expected and ignored.
  co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
}

void session::wake() { wake_.cancel(); }

void session::start_timers() {
  schedule_ping();
  arm_connect_deadline();
}

void session::arm_connect_deadline() {
  connect_deadline_.expires_after(timing_.connect_timeout);
  connect_deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    // The reference closes a connection that joined no namespace in time (socket.io client.ts).
    if (ec || !self || self->closed_ || self->client) return;
    self->owner_.close_session(self, "connect timeout");
  });
}

void session::on_connected() { connect_deadline_.cancel(); }

void session::on_disconnected() {
  if (!closed_) arm_connect_deadline();
}

void session::end_at(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point::max()) {
    // An identity that never expires: the one before it may have, and its deadline must
    // not end this one (a second CONNECT with another token).
    identity_deadline_.cancel();
    return;
  }
  // A steady timer: the wall clock stepping does not move it, which errs by the step at
  // most, and the leeway is there for clocks that disagree.
  const auto left = t - std::chrono::system_clock::now();
  identity_deadline_.expires_after(std::max(left, std::chrono::system_clock::duration::zero()));
  identity_deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_) return;
    self->owner_.close_session(self, "token expired");
  });
}

void session::schedule_ping() {
  const auto generation = ++heartbeat_generation_;
  awaiting_pong_ = false;
  heartbeat_.expires_after(timing_.ping_interval);
  heartbeat_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_ || generation != self->heartbeat_generation_) return;
    self->send(engineio::packet_type::ping);
    self->await_pong(generation);
  });
}

void session::await_pong(std::uint64_t generation) {
  awaiting_pong_ = true;
  heartbeat_.expires_after(timing_.ping_timeout);
  heartbeat_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_ || generation != self->heartbeat_generation_) return;
    self->owner_.close_session(self, "ping timeout");
  });
}

void session::on_pong() {
  // An unsolicited pong must not postpone the next ping forever.
  if (closed_ || !awaiting_pong_) return;
  schedule_ping();
}

void session::close() {
  if (closed_) return;
  closed_ = true;
  ++heartbeat_generation_;
  heartbeat_.cancel();
  connect_deadline_.cancel();
  identity_deadline_.cancel();
  wake();
}

void session::set_transport(transport_kind t) {
  transport_ = t;
  wake();
}

void session::set_upgrading(bool u) {
  upgrading_ = u;
  wake();
}

}  // namespace drover::api::socketio::detail
