// queue_cancel.cpp - queue::cancel: remove a job no worker holds, or ask the one
// holding it to stop.
#include <boost/json/value.hpp>

#include "core/cancel_job_now.hpp"
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

namespace detail {

net::awaitable<cancel_outcome> cancel_job_now(redis::connection& conn, const queue_keys& keys, std::string id,
                                              std::string request_json) {
  using found = scripts::cancel_job::result;
  auto mark = scripts::cancel_job::of(keys, id, std::move(request_json));
  auto r = co_await scripts::run(conn, std::move(mark));
  if (r == found::not_found) co_return cancel_outcome::not_found;
  if (r == found::finished) co_return cancel_outcome::already_finished;
  if (r == found::locked) co_return cancel_outcome::signalled;
  auto remove = scripts::remove_job::of(keys, std::move(id));
  bool removed = co_await scripts::run(conn, std::move(remove));
  co_return removed ? cancel_outcome::removed : cancel_outcome::signalled;
}

}  // namespace detail

net::awaitable<cancel_outcome> queue::cancel(std::string id, std::string reason) {
  // The queue's own key, no job's: cancelJob would mark it and removeJob delete it.
  if (detail::names_queue_key(id)) co_return cancel_outcome::not_found;
  json::object request{{"reason", reason}, {"at", detail::now_ms()}};
  auto cancel = detail::cancel_job_now(*impl_->conn, impl_->keys, std::move(id), drover::serialize_json(request));
  co_return co_await std::move(cancel);
}

}  // namespace drover
