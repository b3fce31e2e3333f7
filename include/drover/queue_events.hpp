// queue_events.hpp - follows a queue's event stream (added, active, completed, failed, ...).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "drover/redis_options.hpp"

namespace drover {

// One entry of the stream `<prefix>:<queue>:events`.
struct queue_event {
  std::string stream_id{};  // Redis stream entry id, e.g. "1700000000000-0"
  std::string event{};      // "added", "waiting", "active", "progress", "completed", "failed", "delayed",
                            // "retries-exhausted", "stalled", "removed", "drained", "paused", "resumed", ...
  std::string job_id{};     // empty for queue-wide events (drained, paused, resumed, cleaned)
  // Every other field. `returnvalue` (completed) and `data` (progress) are parsed
  // JSON, `delay` (delayed) and `attemptsMade` are numbers, the rest strings. As in
  // BullMQ, `delay` is when the job is due (ms since the epoch), not how long it waits.
  boost::json::object fields{};

  boost::json::object to_json() const;  // {"event", "jobId", ...fields}
};

struct queue_events_options {
  std::string prefix = "bull";
  redis_options redis = redis_options::from_env();
  // "$": only events after wait_until_ready() (or the first next()); "0": from the start
  // of the stream; a stream entry id: after that entry.
  std::string last_event_id = "$";
  std::chrono::milliseconds block{10000};  // longest wait of one read; at least 1 ms
  // Most events one next() returns (XREAD's COUNT); at least 1. A reply bigger than the
  // server's client-output-buffer-limit makes Redis close the connection, and asking
  // for the same reply again would close it again: after a read whose connection was
  // lost the next asks for half as many, and for this many again once a read finds fewer
  // than it asked for (caught up).
  std::size_t max_batch = 1000;
};

// Reads a queue's events in order. After a lost connection it resumes from the
// last event it returned, so nothing in between is missed (as long as the stream
// still holds it).
// Thread safety: none; use it from the executor it was made with, one handler at a time
// (a strand when several threads run the io_context: see queue.hpp).
class queue_events {
 public:
  // Throws drover::error (invalid_argument) for a queue name with ':' or a block under 1 ms.
  queue_events(boost::asio::any_io_executor ex, std::string queue, queue_events_options opts = {});
  ~queue_events();

  // With last_event_id "$": fixes "now" as the stream's current last entry, so that
  // every event after this call is read, those of jobs added before the first next()
  // included (Node's waitUntilReady). Without it, "now" is fixed by the first next().
  // Throws drover::error when Redis is unreachable.
  boost::asio::awaitable<void> wait_until_ready();
  // Waits for the next events (up to `block`); returns an empty list on timeout.
  // Throws drover::error when Redis is unreachable; call again to resume.
  boost::asio::awaitable<std::vector<queue_event>> next();
  // Interrupts a waiting next(), which throws drover::error with errc::closed (check with
  // e.is(errc::closed): not a Redis failure), and closes the connection.
  void close();
  const std::string& last_event_id() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace drover
