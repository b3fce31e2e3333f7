// job_event_relay.hpp - turns a queue's events into Socket.IO pushes and job_logs rows.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/db/database.hpp>

namespace drover::api {

namespace socketio {
class server;
}

// One relay per BullMQ queue: per shard of a sharded queue, each following its shard's
// stream. Job ids go out as app ids (app_job_id.hpp: "<shard>-<id>" for a shard), in the
// Socket.IO rooms and events as in the job_logs rows, whose queue is the logical one.
// Lifecycle:
//  1. run(): reads the position it stored in the database (event_stream_positions) and
//     follows the queue's event stream from there (from its first entry when none was
//     stored), resuming after Redis outages; when the stream no longer holds the entry
//     at that position (trimmed while the API was down, or Redis restored from an older
//     snapshot, at the start or after an outage) or there was none, the queue's
//     unfinished job_logs rows are reconciled from the jobs themselves;
//  2. each progress/completed/failed event is pushed at once to the Socket.IO room
//     "job:<id>" as job-progress / job-completed / job-failed (after a restart, the
//     events since the stored position are pushed again: at least once);
//  3. added (a pending row with the job's user and payload, read from the job),
//     active, completed and failed become job_logs updates,
//     written in batches every flush interval so that the database never slows the
//     queue, each batch in one transaction with the stream position it covers; an
//     event's update carries the event's own time, so replaying it after a restart
//     never moves a row back. When the database is down the batch waits and is
//     retried, never dropped (up to max_buffered updates, beyond which the oldest are
//     logged and dropped).
// Thread safety: one executor.
class job_event_relay {
 public:
  job_event_relay(boost::asio::any_io_executor ex, app::queue_shard queue, queue_events_options opts,
                  socketio::server* sio, app::database* db, boost::asio::thread_pool& db_pool);
  ~job_event_relay();

  // Called with a job's app id when it ends: completed, failed for good, or removed
  // before it finished. Set before start().
  void on_job_ended(std::function<void(const std::string&)> f) { on_ended_ = std::move(f); }
  // Called with a job's app id when its "added" entry is read, whoever added it (another
  // API instance, Node). Set before start().
  void on_job_added(std::function<void(const std::string&)> f) { on_added_ = std::move(f); }
  void start();
  void stop();
  std::size_t buffered() const { return pending_.size(); }
  // Whether every event read so far is written to job_logs: a row not final then was not
  // ended by any event this relay has read. Nearly always false while it reads a backlog,
  // whose events buffer updates faster than they are written.
  bool settled() const { return pending_.empty(); }
  // Whether `app_id` names a job of this relay's queue (shard).
  bool follows(const std::string& app_id) const { return shard_.own_id(app_id).has_value(); }

 private:
  // An update and the stream entry it came from.
  struct buffered_update {
    app::job_log_update update;
    std::string stream_id;
  };

  boost::asio::awaitable<void> follow();
  boost::asio::awaitable<std::string> resume_position();
  boost::asio::awaitable<void> reconcile();
  boost::asio::awaitable<void> reconcile_if_rolled_back(std::string position);
  boost::asio::awaitable<bool> stream_holds(std::string id);
  boost::asio::awaitable<void> flush_loop();
  boost::asio::awaitable<void> on_event(const queue_event& e);
  // What reading the job of an "added" entry found.
  struct added_read {
    bool answered = false;             // Redis answered: `found` is empty when the job is gone
    std::optional<drover::job> found;  // the job, when it still exists
  };
  boost::asio::awaitable<added_read> added_job(const std::string& id);
  void buffer(app::job_log_update u, const std::string& stream_id);

  boost::asio::any_io_executor ex_;
  app::queue_shard shard_;
  std::string queue_name_;  // the BullMQ queue followed
  queue_events_options opts_;
  std::string stream_;  // "<prefix>:<queue>", the name of its position in the database
  std::unique_ptr<queue_events> events_;
  queue reader_;  // reads a failed job's stack trace, and the jobs to reconcile
  socketio::server* sio_;
  app::database* db_;
  boost::asio::thread_pool& db_pool_;
  std::deque<buffered_update> pending_;
  std::string read_position_;    // the last event handled (its update, if any, is in pending_)
  std::string stored_position_;  // the last position written with its batch
  std::function<void(const std::string&)> on_ended_;
  std::function<void(const std::string&)> on_added_;
  bool stopped_ = false;
  static constexpr std::size_t max_buffered = 100000;
};

}  // namespace drover::api
