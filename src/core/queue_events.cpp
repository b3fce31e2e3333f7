// queue_events.cpp - XREAD BLOCK over the events stream, resuming from the last id.
#include "drover/queue_events.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

#include <fmt/format.h>

#include "core/keys.hpp"
#include "core/queue_connection.hpp"
#include "core/stream_entry.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"
#include "redis/connection.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

struct queue_events::impl {
  impl(net::any_io_executor ex, std::string queue, queue_events_options o)
      : opts(std::move(o)),
        keys(opts.prefix, std::move(queue)),
        conn(detail::queue_connection(ex, opts.redis, keys, detail::client_name(opts.prefix, keys.queue(), ":qe"))),
        last_id(opts.last_event_id),
        batch(opts.max_batch) {}
  queue_events_options opts;
  detail::queue_keys keys;
  std::shared_ptr<redis::connection> conn;
  std::string last_id;
  std::size_t batch;  // the COUNT of the next read (queue_events_options::max_batch)
};

namespace {

json::value typed(std::string_view event, std::string_view field, const std::string& v) {
  if ((event == "completed" && field == "returnvalue") || (event == "progress" && field == "data")) {
    boost::system::error_code ec;
    auto parsed = drover::parse_json(v, ec);
    if (!ec) return parsed;
  }
  if ((event == "delayed" && field == "delay") || field == "attemptsMade" || field == "count") {
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (end && *end == '\0' && !v.empty()) return n;
  }
  return json::string(v);
}

}  // namespace

namespace detail {

std::optional<queue_event> stream_entry_event(const redis::reply& entry) {
  if (entry.elements.size() < 2) return std::nullopt;
  queue_event ev;
  ev.stream_id = entry.elements[0].as_string();
  const auto& fv = entry.elements[1].elements;
  for (std::size_t k = 0; k + 1 < fv.size(); k += 2) {
    if (fv[k].str == "event") ev.event = fv[k + 1].str;
  }
  for (std::size_t k = 0; k + 1 < fv.size(); k += 2) {
    const auto& f = fv[k].str;
    if (f == "event") continue;
    if (f == "jobId") {
      ev.job_id = fv[k + 1].str;
      continue;
    }
    ev.fields[f] = typed(ev.event, f, fv[k + 1].str);
  }
  return ev;
}

}  // namespace detail

json::object queue_event::to_json() const {
  json::object o;
  o["event"] = event;
  if (!job_id.empty()) o["jobId"] = job_id;
  for (const auto& kv : fields) o[kv.key()] = kv.value();
  return o;
}

queue_events::queue_events(net::any_io_executor ex, std::string queue, queue_events_options opts) {
  detail::check_queue_name(queue);
  // XREAD BLOCK 0 waits for ever, past any reply deadline, and Redis refuses a negative one.
  if (opts.block.count() < 1) {
    throw error(errc::invalid_argument,
                fmt::format("queue_events_options::block must be at least 1 ms, not {} ms (0 would be Redis's "
                            "wait for ever)",
                            opts.block.count()));
  }
  if (opts.max_batch < 1) throw error(errc::invalid_argument, "queue_events_options::max_batch must be at least 1");
  impl_ = std::make_unique<impl>(std::move(ex), std::move(queue), std::move(opts));
}
queue_events::~queue_events() {
  if (impl_) impl_->conn->close();
}

void queue_events::close() { impl_->conn->close(); }
const std::string& queue_events::last_event_id() const { return impl_->last_id; }

net::awaitable<void> queue_events::wait_until_ready() {
  auto& i = *impl_;
  if (i.last_id != "$") co_return;
  // Pin "$" to the stream's current last id, so that events added between two reads
  // (or after this call and before the first read) are not skipped.
  redis::command last_cmd{"XREVRANGE", i.keys.events, "+", "-", "COUNT", "1"};
  auto last = co_await i.conn->exec(std::move(last_cmd));
  redis::expect_no_error(last, "XREVRANGE " + i.keys.events);
  i.last_id = (last.is_array() && !last.elements.empty() && !last.elements[0].elements.empty())
                  ? last.elements[0].elements[0].as_string()
                  : "0-0";
}

net::awaitable<std::vector<queue_event>> queue_events::next() {
  auto& i = *impl_;
  co_await wait_until_ready();
  redis::command cmd{"XREAD", "COUNT"};
  cmd.push(static_cast<std::int64_t>(i.batch)).push("BLOCK").push(static_cast<std::int64_t>(i.opts.block.count()));
  cmd.push("STREAMS").push(i.keys.events).push(i.last_id);
  redis::reply r;
  const bool sent = !i.conn->fails_unsent();
  try {
    r = co_await i.conn->exec(std::move(cmd), i.opts.block + std::chrono::seconds(1));
  } catch (const error& e) {
    // Perhaps a reply over the output buffer's limit (an operator's 1 MB limit closed an
    // API's reading of a backlog of answers for good); a lost connection alike.
    if (sent && e.is(errc::redis_unavailable)) i.batch = std::max<std::size_t>(1, i.batch / 2);
    throw;
  }
  redis::expect_no_error(r, "XREAD " + i.keys.events);
  std::vector<queue_event> out;
  // [[stream, [[id, [field, value, ...]], ...]]]; nil when the wait ended with none.
  const bool any = r.is_array() && !r.elements.empty() && r.elements[0].elements.size() >= 2;
  const auto* entries = any ? &r.elements[0].elements[1].elements : nullptr;
  if (!entries || entries->size() < i.batch) i.batch = i.opts.max_batch;  // caught up
  if (!entries) co_return out;
  for (const auto& entry : *entries) {
    auto ev = detail::stream_entry_event(entry);
    if (!ev) continue;
    i.last_id = ev->stream_id;
    out.push_back(std::move(*ev));
  }
  co_return out;
}

}  // namespace drover
