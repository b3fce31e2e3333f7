// queue_wait.cpp - queue::wait_until_finished: a job's outcome, whether it finished before
// the call or after, read from the events stream as Node's QueueEvents reads it.
#include <drover/queue.hpp>
#include <drover/queue_events.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <memory>

#include "core/queue_impl.hpp"
#include "core/scripts/is_finished.hpp"
#include "core/stream_entry.hpp"
#include "drover/json.hpp"
#include "redis/command.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

namespace {

using finish_status = detail::scripts::finish_status;

// The id of the stream's last entry; "0-0" when it is empty (then every entry is new).
net::awaitable<std::string> stream_end(redis::connection& conn, const std::string& stream) {
  redis::command last{"XREVRANGE", stream, "+", "-", "COUNT", "1"};
  auto r = co_await conn.exec(std::move(last));
  if (r.is_array() && !r.elements.empty() && r.elements[0].is_array() && !r.elements[0].elements.empty()) {
    co_return r.elements[0].elements[0].as_string();
  }
  co_return "0-0";
}

// What a "completed" event says the job returned, and a "failed" event its reason: the
// live wait and the look back read them alike.
json::value completed_value(const queue_event& e) {
  auto* v = e.fields.if_contains("returnvalue");
  return v ? *v : json::value(nullptr);
}
std::string failure_reason(const queue_event& e) {
  auto* reason = e.fields.if_contains("failedReason");
  return reason && reason->is_string() ? std::string(reason->get_string()) : std::string();
}

// How job `id` ended, as the events stream says it, read back from its end: a job removed
// as it finished (removeOnComplete, removeOnFail) is gone by the time it is asked about,
// and only its "completed" or "failed" entry is left (a review: waits on such jobs failed
// with "Missing key" for a third of them). The newest of its entries decides: an end, or
// else ("added", "waiting" after a retry, "removed" before it ended) it did not finish
// as it is now; at most the ~10,000 entries BullMQ keeps.
struct stream_end_of_job {
  bool completed = false;
  json::value value;   // the return value, as a "completed" event carries it
  std::string reason;  // the failure's
};
net::awaitable<std::optional<stream_end_of_job>> end_in_stream(redis::connection& conn, const std::string& stream,
                                                               const std::string& id) {
  constexpr std::size_t page = 500, max_pages = 24;
  std::string before = "+";
  for (std::size_t n = 0; n < max_pages; ++n) {
    redis::command read{"XREVRANGE", stream, before, "-", "COUNT", std::to_string(page)};
    auto r = co_await conn.exec(std::move(read));
    if (!r.is_array() || r.elements.empty()) co_return std::nullopt;
    for (const auto& entry : r.elements) {
      auto e = detail::stream_entry_event(entry);
      if (!e || e->job_id != id) continue;
      if (e->event == "completed") co_return stream_end_of_job{true, completed_value(*e), {}};
      if (e->event == "failed") co_return stream_end_of_job{false, nullptr, failure_reason(*e)};
      if (e->event == "added" || e->event == "waiting" || e->event == "removed") co_return std::nullopt;
    }
    if (r.elements.size() < page) co_return std::nullopt;
    before = "(" + std::string(r.elements.back().elements[0].as_string());
  }
  co_return std::nullopt;
}

// A return value as Node's getReturnValue reads it: JSON when it parses, else the text.
json::value return_value(const std::string& stored) {
  boost::system::error_code ec;
  auto v = drover::parse_json(stored, ec);
  if (ec) return stored.empty() ? json::value(nullptr) : json::value(json::string(stored));
  return v;
}

}  // namespace

net::awaitable<json::value> queue::wait_until_finished(std::string id, std::chrono::milliseconds ttl) {
  detail::refuse_queue_key(id, "isFinished");
  auto& q = *impl_;
  const auto ex = co_await net::this_coro::executor;
  // Where the stream ends before the check: a finish after the check is after this point.
  const std::string from = co_await stream_end(*q.conn, q.keys.events);
  auto check = detail::scripts::is_finished::of(q.keys, id);
  const auto status = co_await detail::scripts::run(*q.conn, std::move(check));
  switch (status.state) {
    case finish_status::kind::completed:
      co_return return_value(status.value);
    case finish_status::kind::failed:
      throw job_failed(id, status.value);
    case finish_status::kind::missing: {
      auto reading = end_in_stream(*q.conn, q.keys.events, id);
      auto ended = co_await std::move(reading);
      if (!ended) throw error(errc::job_not_found, fmt::format("Missing key for job {}. isFinished", id));
      if (!ended->completed) throw job_failed(id, ended->reason);
      co_return std::move(ended->value);
    }
    case finish_status::kind::running:
      break;
  }

  queue_events_options eo;
  eo.prefix = q.opts.prefix;
  eo.redis = q.opts.redis;
  eo.last_event_id = from;
  queue_events events(ex, q.keys.queue(), eo);
  // The ttl ends the wait by closing the reader, which ends a read in progress at once.
  // The timer's handler may already be queued when the wait ends otherwise: `left` tells
  // it that the reader is gone.
  struct deadline {
    queue_events* events;
    bool expired = false, left = false;
  };
  auto d = std::make_shared<deadline>(deadline{&events});
  // Never `q` past here: the queue may be destroyed while this waits (its close() ends
  // the wait, which then runs on without it).
  auto registry = q.waits;
  if (registry->closed) throw error(errc::closed, "the queue was closed");
  registry->readers.push_back(&events);
  struct on_leave {
    std::shared_ptr<deadline> d;
    std::shared_ptr<queue::impl::wait_registry> registry;
    ~on_leave() {
      d->left = true;
      std::erase(registry->readers, d->events);
    }
  } leave{d, registry};
  net::steady_timer limit(ex);
  if (ttl.count() > 0) {
    limit.expires_after(ttl);
    limit.async_wait([d](boost::system::error_code ec) {
      if (ec || d->left) return;
      d->expired = true;
      d->events->close();
    });
  }
  std::optional<json::value> result;
  std::optional<std::string> failure;
  while (!result && !failure) {
    std::vector<queue_event> batch;
    try {
      batch = co_await events.next();
    } catch (const error&) {
      if (!d->expired) throw;
    }
    if (d->expired) break;
    for (auto& e : batch) {
      if (e.job_id != id) continue;
      if (e.event == "completed") {
        result = completed_value(e);
        break;
      }
      if (e.event == "failed") {
        failure = failure_reason(e);
        break;
      }
    }
  }
  limit.cancel();
  if (failure) throw job_failed(id, *failure);
  if (!result) {
    throw error(errc::timed_out, fmt::format("Job wait {} timed out before finishing, no finish notification arrived "
                                             "after {}ms (id={})",
                                             id, ttl.count(), id));
  }
  co_return std::move(*result);
}

}  // namespace drover
