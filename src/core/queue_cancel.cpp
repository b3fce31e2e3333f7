// queue_cancel.cpp - queue::cancel: remove a job no worker holds, or ask the one
// holding it to stop.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "core/cancellation.hpp"
#include "core/clock.hpp"
#include "core/queue_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace detail {

std::string cancel_request_reason(std::string_view request_json) {
  boost::system::error_code ec;
  auto v = json::parse(request_json, ec);
  if (ec || !v.is_object()) return {};
  const auto* r = v.get_object().if_contains("reason");
  return r && r->is_string() ? std::string(r->get_string()) : std::string();
}

}  // namespace detail

const char* to_string(cancel_outcome o) {
  switch (o) {
    case cancel_outcome::removed: return "removed";
    case cancel_outcome::signalled: return "signalled";
    case cancel_outcome::not_found: return "not_found";
    case cancel_outcome::already_finished: return "already_finished";
  }
  return "unknown";
}

// 1. cancelJob (src/lua) leaves the request in the job hash unless the job is gone or
//    finished, and says whether a worker holds the lock.
// 2. Unlocked: BullMQ's removeJob removes it. Should a worker take the job between the
//    two calls, removeJob refuses (the lock), and the worker finds the request when it
//    starts the job: the outcome is then "signalled".
net::awaitable<cancel_outcome> queue::cancel(std::string id, std::string reason) {
  const auto& k = impl_->keys;
  json::object request{{"reason", reason}, {"at", detail::now_ms()}};
  detail::script_args mark{k.job(id), k.lock(id), std::string(detail::cancel_field), json::serialize(request)};
  auto r = co_await detail::run_script(*impl_->conn, detail::lua::cancel_job, std::move(mark));
  auto code = r.as_int();
  if (!code) throw error(errc::protocol_error, fmt::format("cancelJob answered no number for job {}", id));
  if (*code == -1) co_return cancel_outcome::not_found;
  if (*code == 1) co_return cancel_outcome::already_finished;
  if (*code == 2) co_return cancel_outcome::signalled;
  detail::script_args args{k.job(id), k.repeat, id, "1", k.base()};
  auto removed = co_await impl_->run_for_code(detail::lua::remove_job, std::move(args), id);
  co_return removed == 1 ? cancel_outcome::removed : cancel_outcome::signalled;
}

}  // namespace drover
