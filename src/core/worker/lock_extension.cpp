// lock_extension.cpp - see lock_extension.hpp.
#include "core/worker/lock_extension.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/scripts/extend_lock.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

namespace {

error lock_missing(const std::string& id) {
  return {errc::lock_missing, fmt::format("Missing lock for job {}. extendLock", id)};
}

}  // namespace

net::awaitable<void> extend_running_lock(worker_state& w, std::string id, std::chrono::milliseconds duration) {
  if (duration.count() < 1) throw error(errc::invalid_argument, "a lock extension must be at least 1 ms");
  const auto* running = w.running.find(id);
  if (!running) throw lock_missing(id);
  const auto asked_at = running_jobs::clock::now();
  auto call = scripts::extend_lock::of(w.keys, id, running->token, duration.count());
  const bool extended = co_await scripts::run(*w.conn, std::move(call));
  auto* r = w.running.find(id);  // the table may have changed while Redis answered
  if (!extended) {
    if (r) r->lock_lost = true;
    throw lock_missing(id);
  }
  // The renewer renews a lock about lock_renew_time after it counts it renewed, for
  // lock_duration: counting this one renewed as if it had lock_duration left from
  // (expiry - lock_duration) keeps that renewal from coming before the lock would end
  // sooner than the extension says.
  if (r) r->renewed_at = std::max(r->renewed_at, asked_at + duration - w.opts.lock_duration);
}

}  // namespace drover::detail
