// job_event_relay.cpp - queue events to browsers (Socket.IO) and to job_logs (batched,
// with the stream position each batch covers, so that a restart resumes there).
#include "api/job_event_relay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <drover/json.hpp>
#include <drover_app/clock.hpp>

#include "api/blocking_call.hpp"
#include "api/event_stream_ids.hpp"
#include "api/job_log_reconciler.hpp"
#include "api/job_log_rows.hpp"
#include "api/job_room.hpp"
#include "api/job_owner.hpp"
#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::api {

using app::now_ms;

namespace {

constexpr std::chrono::milliseconds flush_interval{500};
constexpr std::size_t flush_batch = 500;
constexpr std::chrono::milliseconds retry_delay{500};
// How long an added job's row waits for Redis to answer before it is written without the
// job's user and payload (its later events still make it final).
constexpr int added_read_attempts = 60;

}  // namespace

job_event_relay::job_event_relay(net::any_io_executor ex, app::queue_shard queue, queue_events_options opts,
                                 socketio::server* sio, app::database* db, net::thread_pool& db_pool)
    : ex_(ex),
      shard_(std::move(queue)),
      queue_name_(shard_.queue_name()),
      opts_(opts),
      stream_(opts.prefix + ":" + queue_name_),
      reader_(ex, queue_name_, queue_options{opts.prefix, opts.redis}),
      sio_(sio),
      db_(db),
      db_pool_(db_pool) {}

job_event_relay::~job_event_relay() = default;

void job_event_relay::start() {
  net::co_spawn(ex_, follow(), net::detached);
  net::co_spawn(ex_, flush_loop(), net::detached);
}

void job_event_relay::stop() {
  stopped_ = true;
  if (events_) events_->close();
  reader_.close();
}

void job_event_relay::buffer(app::job_log_update u, const std::string& stream_id) {
  pending_.push_back(buffered_update{std::move(u), stream_id});
}

// Whether entry `id` is in the stream: an XREAD from the id before it, for one entry.
// "0-0", no entry, is not: a relay that read nothing may have missed anything. Replaces
// events_. Throws when Redis is away.
net::awaitable<bool> job_event_relay::stream_holds(std::string id) {
  const auto before = stream_id_predecessor(id);
  // One entry: the whole stream (BullMQ keeps about 10,000 entries, an answer's progress
  // up to 16 KiB each) in one reply passed an operator's client-output-buffer-limit, and
  // Redis closed every attempt. In events_, so that stop() interrupts it.
  auto probe_opts = opts_;
  probe_opts.last_event_id = before.value_or("0-0");  // read all the same: it waits for Redis
  probe_opts.block = std::chrono::milliseconds(1);
  probe_opts.max_batch = 1;
  events_ = std::make_unique<queue_events>(ex_, queue_name_, probe_opts);
  auto entries = co_await events_->next();
  events_->close();
  co_return before && !entries.empty() && entries.front().stream_id == id;
}

// After an outage: a Redis back from one may have been restored from an older snapshot,
// without the entry at `position` (the last one read before it) and the jobs added since
// it, whose rows no event would make final (an operator's restore, with the API running).
// Leaves events_ to be made again. Not checked when Redis is away again.
net::awaitable<void> job_event_relay::reconcile_if_rolled_back(std::string position) {
  try {
    auto holding = stream_holds(position);  // named: GCC 12 and temporaries in co_await
    if (co_await std::move(holding)) co_return;
    spdlog::warn(
        "relay {}: the entry at {} is gone from the stream after Redis's outage (Redis restored from an older "
        "snapshot?); reconciling job_logs",
        queue_name_, position);
    auto reconciling = reconcile();
    co_await std::move(reconciling);
  } catch (const std::exception& e) {
    spdlog::debug("relay {}: not checked for a rollback: {}", queue_name_, e.what());
  }
}

// The unfinished job_logs rows made final from the jobs, after events were lost.
net::awaitable<void> job_event_relay::reconcile() {
  auto reconciling = reconcile_job_logs(ex_, reader_, *db_, db_pool_, shard_);  // named: GCC 12
  const auto made_final = co_await std::move(reconciling);
  if (made_final > 0) spdlog::info("relay {}: {} job_logs rows made final from the jobs", queue_name_, made_final);
}

// Where to follow from: the stored position, or, when there is none, the stream's first
// entry: an API killed before its first write must still write the rows of the jobs it
// accepted, and rows are idempotent, so reading again what an earlier API saw does no
// harm (BullMQ keeps about 10,000 entries). Without a database, the stream's last entry.
// Reconciles first when events after the position may be lost: the stream holds nothing
// from before it, or there was no position. Retries while Redis or the database is
// away; "" once stopped.
net::awaitable<std::string> job_event_relay::resume_position() {
  // One line when the outage starts and one when it ends; each retry (every 500 ms) only
  // at debug level (an operator review counted 85 lines in 43 s with Redis down).
  bool warned = false;
  for (;;) {
    if (stopped_) co_return "";
    bool failed = false;
    std::string start;
    try {
      std::optional<std::string> stored;
      if (db_) {
        auto read = [db = db_, stream = stream_]() { return db->event_stream_position(stream); };
        stored = co_await blocking_call(ex_, db_pool_, read, std::chrono::seconds(5));
      }
      // Whether the entry at the stored position is still there: gone, the events after
      // it may be too, trimmed away (BullMQ keeps about 10,000 entries) or rolled back
      // with a Redis restored from an older snapshot, whose jobs added since are gone and
      // whose rows would wait for ever (an operator's restore).
      // Asked of Redis even without a position: the start waits for Redis.
      auto holding = stream_holds(stored.value_or("0-0"));  // named: GCC 12 and temporaries in co_await
      const bool lost = !(co_await std::move(holding));
      if (stored || db_) {
        start = stored ? *stored : std::string("0-0");
      } else {
        // Without a database, from the stream's last entry ("$" fixed now).
        auto probe_opts = opts_;
        probe_opts.last_event_id = "$";
        events_ = std::make_unique<queue_events>(ex_, queue_name_, probe_opts);
        auto pinning = events_->wait_until_ready();  // named: GCC 12 and temporaries in co_await
        co_await std::move(pinning);
        start = events_->last_event_id();
        events_->close();
      }
      if (lost && db_) {
        if (stored) {
          spdlog::warn(
              "relay {}: the entry at {} is gone from the stream (trimmed, or Redis restored from an older snapshot): "
              "the events after it may be too; reconciling job_logs",
              queue_name_, *stored);
        }
        co_await reconcile();
      }
    } catch (const std::exception& e) {
      if (stopped_) co_return "";
      if (warned) {
        spdlog::debug("relay {}: cannot resume yet: {}; retrying", queue_name_, e.what());
      } else {
        spdlog::warn("relay {}: cannot resume yet: {}; retrying until it can", queue_name_, e.what());
      }
      warned = true;
      failed = true;
    }
    if (!failed) {
      if (warned) spdlog::info("relay {}: resumed", queue_name_);
      co_return start;
    }
    net::steady_timer t(ex_, retry_delay);
    co_await t.async_wait(net::use_awaitable);
  }
}

net::awaitable<void> job_event_relay::follow() {
  auto start = co_await resume_position();
  if (stopped_) co_return;
  auto opts = opts_;
  opts.last_event_id = start;
  events_ = std::make_unique<queue_events>(ex_, queue_name_, opts);
  read_position_ = stored_position_ = start;
  bool warned = false;  // as in resume_position: one line when an outage starts
  // And one a minute while it lasts: live updates and job records wait on this reader,
  // and an outage only it has (a reply over an output buffer limit) showed nowhere else.
  std::chrono::steady_clock::time_point failing_since, last_told;
  while (!stopped_) {
    std::vector<queue_event> batch;
    bool failed = false;
    try {
      batch = co_await events_->next();
    } catch (const std::exception& e) {
      if (stopped_) break;
      const auto now = std::chrono::steady_clock::now();
      if (!warned) {
        spdlog::warn("relay {}: reading events failed: {}; retrying until it can", queue_name_, e.what());
        failing_since = last_told = now;
      } else if (now - last_told >= std::chrono::minutes(1)) {
        spdlog::warn("relay {}: still cannot read events after {} s (live updates and job_logs wait): {}", queue_name_,
                     std::chrono::duration_cast<std::chrono::seconds>(now - failing_since).count(), e.what());
        last_told = now;
      } else {
        spdlog::debug("relay {}: reading events failed: {}; retrying", queue_name_, e.what());
      }
      warned = true;
      failed = true;
    }
    const bool recovered = !failed && warned;
    if (recovered) {
      spdlog::info("relay {}: reading events again", queue_name_);
      warned = false;
    }
    if (failed) {
      net::steady_timer t(ex_, retry_delay);
      co_await t.async_wait(net::use_awaitable);
      continue;
    }
    const std::string position = read_position_;  // before this batch
    for (const auto& e : batch) {
      co_await on_event(e);
      read_position_ = e.stream_id;  // after its update is buffered, never before
    }
    if (recovered && db_) {
      auto checking = reconcile_if_rolled_back(position);  // named: GCC 12 and temporaries in co_await
      co_await std::move(checking);
      if (stopped_) break;
      auto reading = opts_;
      reading.last_event_id = read_position_;
      events_ = std::make_unique<queue_events>(ex_, queue_name_, reading);
    }
  }
}

// The job an "added" entry names, read again while Redis is away (the events reader
// waits for it too); not answered when Redis stays away too long.
net::awaitable<job_event_relay::added_read> job_event_relay::added_job(const std::string& id) {
  for (int attempt = 1;; ++attempt) {
    std::string why;
    try {
      auto get = reader_.get_job(id);
      added_read read;
      read.found = co_await std::move(get);
      read.answered = true;
      co_return read;
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (stopped_ || attempt == added_read_attempts) {
      if (!stopped_)
        spdlog::warn("relay {}: cannot read added job {} ({}); its row waits for its next event", queue_name_, id, why);
      co_return added_read{};
    }
    net::steady_timer t(ex_, retry_delay);
    co_await t.async_wait(net::use_awaitable);
  }
}

net::awaitable<void> job_event_relay::on_event(const queue_event& e) {
  if (e.job_id.empty()) co_return;
  const auto id = shard_.app_id(e.job_id);
  const std::string room = job_room(id);
  app::job_log_update u;
  u.queue = shard_.logical;
  u.job_id = id;
  // When it happened, not when we read it: a replay after a restart then loses to
  // what the first reading stored (record_job_logs' rules).
  u.at_ms = stream_id_ms(e.stream_id);
  if (e.event == "progress") {
    json::object payload;
    payload["jobId"] = id;
    payload["progress"] = e.fields.contains("data") ? e.fields.at("data") : json::value(nullptr);
    json::array args;
    args.push_back(std::move(payload));
    if (sio_) sio_->emit_to_room(room, "job-progress", std::move(args));
  } else if (e.event == "added") {
    // The row of a sent job comes from its "added" entry, not from the API's memory: the
    // position is stored only with the rows of the entries before it, so an API killed
    // right after answering 200 reads the entry again on restart and writes the row.
    if (on_added_) on_added_(id);
    auto read = co_await added_job(e.job_id);
    auto& j = read.found;
    // This id names a new job from now on: nobody but its owner may hear its events.
    // Unanswered (Redis away for long), nothing is known, and the room stays as it is.
    if (sio_ && read.answered) {
      const auto left =
          j ? keep_only_the_owner(*sio_, id, user_of_job_data(j->data)) : keep_only_later_joiners(*sio_, id, u.at_ms);
      if (left > 0) {
        spdlog::warn(
            "relay {}: {} client(s) subscribed to an earlier job {} left its room, which is a new job's "
            "now (did Redis lose its data and number jobs again?)",
            queue_name_, left, id);
      }
    }
    if (!j) co_return;  // removed already: its later events, if any, write the row
    auto row = pending_job_log(u.queue, u.job_id, *j);
    row.at_ms = u.at_ms;
    row.begins = true;
    buffer(std::move(row), e.stream_id);
  } else if (e.event == "active") {
    u.status = "processing";
    buffer(std::move(u), e.stream_id);
  } else if (e.event == "completed") {
    json::object payload;
    payload["jobId"] = id;
    payload["result"] = e.fields.contains("returnvalue") ? e.fields.at("returnvalue") : json::value(nullptr);
    u.status = "completed";
    u.result_json = drover::serialize_json(payload["result"]);
    buffer(std::move(u), e.stream_id);
    if (sio_) end_job_room(*sio_, id, "job-completed", std::move(payload));
    if (on_ended_) on_ended_(id);
  } else if (e.event == "failed") {
    std::string reason;
    if (auto* r = e.fields.if_contains("failedReason"); r && r->is_string()) reason = std::string(r->get_string());
    u.status = "failed";
    u.error_message = reason;
    // The stack trace is not in the event; read it from the job (it may be gone already).
    std::optional<job> j;
    try {
      j = co_await reader_.get_job(e.job_id);
    } catch (const std::exception&) {
    }
    if (j) {
      u.attempts = j->attempts_made;
      if (!j->stacktrace.empty()) u.error_stack = j->stacktrace.back();
    }
    buffer(std::move(u), e.stream_id);
    if (sio_) fail_job_room(*sio_, id, reason);
    if (on_ended_) on_ended_(id);
  } else if (e.event == "removed") {
    // Removed before it finished (cancelled through the API or the CLI, replaced by a
    // deduplicated add, its scheduler removed): it will never run, so its row ends
    // failed and a subscriber hears so, rather than waiting for ever. A job removed
    // after it finished keeps the row it has.
    std::string prev;
    if (auto* p = e.fields.if_contains("prev"); p && p->is_string()) prev = std::string(p->get_string());
    if (prev == "completed" || prev == "failed") co_return;
    if (prev == "wait") prev = "waiting";  // the list's name, as BullMQ's script writes it
    std::string reason =
        prev.empty() ? std::string("removed before it finished") : "removed before it finished (it was " + prev + ")";
    u.status = "failed";
    u.error_message = reason;
    buffer(std::move(u), e.stream_id);
    if (sio_) fail_job_room(*sio_, id, reason);
    if (on_ended_) on_ended_(id);
  }
  while (pending_.size() > max_buffered) {
    spdlog::error("relay {}: job_logs buffer full; dropping the log of job {}", queue_name_,
                  pending_.front().update.job_id);
    pending_.pop_front();
  }
}

namespace {

// Writes the batch, with the stream position it covers when there is one. When the
// database answers but refuses the batch, one bad row must not hold back every later
// one: the rows go one by one, the refused ones are returned (dropped), and the
// position is stored after them. Throws when the database is away, so that the caller
// keeps the batch.
std::vector<std::pair<std::string, std::string>> write_job_logs(app::database& db,
                                                                const std::vector<app::job_log_update>& batch,
                                                                const std::string& stream,
                                                                const std::string& position) {
  auto write = [&](const std::vector<app::job_log_update>& rows) {
    if (position.empty()) {
      db.record_job_logs(rows);
    } else {
      db.record_job_logs_at(rows, stream, position);
    }
  };
  // A database that cannot write (a full disk answers a ping) is an outage, not a
  // refusal: the batch is kept, where it was dropped row by row.
  try {
    write(batch);
    return {};
  } catch (const app::database_unwritable&) {
    throw;
  } catch (const std::exception&) {
    db.ping();
  }
  std::vector<std::pair<std::string, std::string>> refused;
  for (const auto& u : batch) {
    try {
      db.record_job_logs({u});
    } catch (const app::database_unwritable&) {
      throw;
    } catch (const std::exception& e) {
      db.ping();  // gone in the meantime: keep the rest for later
      refused.emplace_back(u.job_id, e.what());
    }
  }
  write({});
  return refused;
}

}  // namespace

net::awaitable<void> job_event_relay::flush_loop() {
  net::steady_timer t(ex_);
  bool warned = false;
  while (!stopped_ || !pending_.empty()) {
    t.expires_after(flush_interval);
    co_await t.async_wait(net::use_awaitable);
    // Only events without updates (progress) since the last write: the position alone.
    const bool moved = read_position_ != stored_position_;
    if ((pending_.empty() && !moved) || !db_) {
      if (stopped_) break;
      continue;
    }
    auto n = std::min(pending_.size(), flush_batch);
    std::vector<app::job_log_update> batch;
    // The batch covers the stream up to its last event's entry, and up to the last
    // event read when it empties the buffer.
    std::string position = n == pending_.size() ? read_position_ : std::string();
    for (std::size_t k = 0; k < n; ++k) {
      batch.push_back(pending_[k].update);
      if (n < pending_.size() && !pending_[k].stream_id.empty()) position = pending_[k].stream_id;
    }
    if (position == stored_position_ || position == "0-0") position.clear();
    bool ok = true;
    std::string why;
    std::vector<std::pair<std::string, std::string>> dropped;  // job id, reason
    try {
      auto* db = db_;
      auto work = [db, batch, stream = stream_, position]() { return write_job_logs(*db, batch, stream, position); };
      dropped = co_await blocking_call(ex_, db_pool_, work, std::chrono::seconds(5));
    } catch (const std::exception& e) {
      ok = false;
      why = e.what();
    }
    for (const auto& [job_id, reason] : dropped) {
      spdlog::error("relay {}: dropping a job_logs update of job {} that the database refuses: {}", queue_name_, job_id,
                    reason);
    }
    if (ok) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
      if (!position.empty()) stored_position_ = position;
      if (warned) spdlog::info("relay {}: job_logs writes resumed", queue_name_);
      warned = false;
    } else {
      // Keep the batch: it is written once the database is back.
      if (!warned)
        spdlog::warn("relay {}: cannot write job_logs ({}); keeping {} updates", queue_name_, why, pending_.size());
      warned = true;
      if (stopped_) break;
    }
  }
}

}  // namespace drover::api
