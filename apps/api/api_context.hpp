// api_context.hpp - what the API's route handlers work with: settings, the database,
// the queues and live updates. Handlers get this, not the server.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include <drover_app/app_queue.hpp>
#include <drover_app/readiness_queues.hpp>
#include <drover_app/db/database.hpp>

#include "api/api_config.hpp"
#include "api/blocking_call.hpp"

namespace drover::api {

namespace socketio {
class server;
}
class gatekeeper;
class send_batches;
class user_backlog;
class user_reads;

// Thread safety: one executor, as the server that made it; the database calls run on
// db_pool through in_db().
struct api_context {
  boost::asio::any_io_executor ex;
  const api_config& cfg;
  app::database& db;
  boost::asio::thread_pool& db_pool;
  app::app_queue& ai_queue;
  app::app_queue& webhook_queue;  // read only: deliveries and their attempts
  app::app_queue& documents_queue;
  socketio::server& sio;
  gatekeeper& gate;
  send_batches& sends;    // POST /api/chat/send's group commits
  user_backlog& backlog;  // each user's sends not yet answered
  user_reads& reads;      // each user's reads that grow with what they return (documents, history)
  // The queues the API adds to, for /readyz (readiness_queues.hpp).
  app::readiness_queues& readiness;
  // Whether the event relay of the chat job `app_id`'s queue has written every event it
  // has read (job_event_relay::settled); false when none follows it.
  std::function<bool(const std::string& app_id)> relay_settled = {};

  // Runs `work` (a named callable: see blocking_call.hpp) on the database pool.
  template <class F>
  auto in_db(F&& work, std::chrono::milliseconds deadline = std::chrono::milliseconds(1000)) {
    return blocking_call(ex, db_pool, std::forward<F>(work), deadline);
  }
};

}  // namespace drover::api
