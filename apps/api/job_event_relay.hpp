// job_event_relay.hpp - turns a queue's events into Socket.IO pushes and job_logs rows.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
#include <drover_app/db/database.hpp>

namespace drover::api {

namespace socketio {
class server;
}

// One relay per queue. Lifecycle:
//  1. run(): follows the queue's event stream (resuming after Redis outages);
//  2. each progress/completed/failed event is pushed at once to the Socket.IO room
//     "job:<id>" as job-progress / job-completed / job-failed;
//  3. active/completed/failed (and the API's own "pending") become job_logs updates,
//     written in batches every flush interval so that the database never slows the
//     queue; when the database is down the batch waits and is retried, never dropped
//     (up to max_buffered updates, beyond which the oldest are logged and dropped).
// Thread safety: one executor.
class job_event_relay {
 public:
  job_event_relay(boost::asio::any_io_executor ex, std::string queue, queue_events_options opts,
                  socketio::server* sio, app::database* db, boost::asio::thread_pool& db_pool);

  void start();
  void stop();
  // The API enqueued a job: its job_logs row starts as pending.
  void record_pending(const job& j, const std::string& user_id);
  std::size_t buffered() const { return pending_.size(); }

 private:
  boost::asio::awaitable<void> follow();
  boost::asio::awaitable<void> flush_loop();
  boost::asio::awaitable<void> on_event(const queue_event& e);

  boost::asio::any_io_executor ex_;
  std::string queue_name_;
  queue_events events_;
  queue reader_;  // reads a failed job's stack trace
  socketio::server* sio_;
  app::database* db_;
  boost::asio::thread_pool& db_pool_;
  std::deque<app::job_log_update> pending_;
  bool stopped_ = false;
  static constexpr std::size_t max_buffered = 100000;
};

}  // namespace drover::api
