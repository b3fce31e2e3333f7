// queue_cancel.cpp - queue::cancel: remove a job no worker holds, or ask the one
// holding it to stop.
#include <boost/json/value.hpp>

#include "core/cancellation.hpp"
#include "core/clock.hpp"
#include "core/queue_impl.hpp"
#include "core/scripts/cancel_job.hpp"
#include "core/scripts/remove_job.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace detail {

std::string cancel_request_reason(std::string_view request_json) {
  boost::system::error_code ec;
  auto v = drover::parse_json(request_json, ec);
  if (ec || !v.is_object()) return {};
  const auto* r = v.get_object().if_contains("reason");
  return r && r->is_string() ? std::string(r->get_string()) : std::string();
}

bool cancel_request_applies(std::string_view request_json, std::int64_t attempts_made) {
  boost::system::error_code ec;
  auto v = drover::parse_json(request_json, ec);
  if (ec || !v.is_object()) return true;
  const auto* made = v.get_object().if_contains("atm");
  if (!made) return true;
  auto n = made->if_int64();
  return !n || *n == attempts_made;
}

}  // namespace detail

const char* to_string(cancel_outcome o) {
  switch (o) {
    case cancel_outcome::removed:
      return "removed";
    case cancel_outcome::signalled:
      return "signalled";
    case cancel_outcome::not_found:
      return "not_found";
    case cancel_outcome::already_finished:
      return "already_finished";
  }
  return "unknown";
}

// 1. cancelJob (src/lua) leaves the request in the job hash unless the job is gone or
//    finished, and says whether a worker holds the lock.
// 2. Unlocked: BullMQ's removeJob removes it. Should a worker take the job between the
//    two calls, removeJob refuses (the lock), and the worker finds the request when it
//    starts the job: the outcome is then "signalled".
net::awaitable<cancel_outcome> queue::cancel(std::string id, std::string reason) {
  namespace scripts = detail::scripts;
  using found = scripts::cancel_job::result;
  // The queue's own key, no job's: cancelJob would mark it and removeJob delete it.
  if (detail::names_queue_key(id)) co_return cancel_outcome::not_found;
  json::object request{{"reason", reason}, {"at", detail::now_ms()}};
  auto mark = scripts::cancel_job::of(impl_->keys, id, drover::serialize_json(request));
  auto r = co_await scripts::run(*impl_->conn, std::move(mark));
  if (r == found::not_found) co_return cancel_outcome::not_found;
  if (r == found::finished) co_return cancel_outcome::already_finished;
  if (r == found::locked) co_return cancel_outcome::signalled;
  auto remove = scripts::remove_job::of(impl_->keys, std::move(id));
  bool removed = co_await scripts::run(*impl_->conn, std::move(remove));
  co_return removed ? cancel_outcome::removed : cancel_outcome::signalled;
}

}  // namespace drover
