// send_batches.hpp - POST /api/chat/send's two group commits (issue 15): the database
// work of concurrent sends in one statement, their job adds in one Redis pipeline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <vector>
#include <cstddef>
#include <optional>

#include <drover/job.hpp>
#include <drover/queue.hpp>
#include <drover_app/app_queue.hpp>
#include <drover_app/db/database.hpp>
#include <drover_app/group_commit.hpp>

namespace drover::api {

// A send goes through both in turn; the two run side by side, so one batch's adds
// overlap the next batch's statement. Batches hold at most max_batch requests, a bound
// on one statement's size and on how long the last request of a batch waits.
// Thread safety: none; the API's executor, as api_context.
class send_batches {
 public:
  // Batches of 16, four of each kind in flight (2026-12-04, idle machine, three runs
  // each against batches of 64, two in flight): at 1,000 sends/s p50 0.67-0.76 ms
  // against 0.79-0.90 and p99 1.9-3.2 ms against 3.5-4.3; at saturation about the same
  // (9,300-10,100 sends/s against 8,500-10,000). Smaller batches wait less for the one
  // ahead; more of them in flight keep PostgreSQL, Redis and the API busy at once. With
  // one in flight a send at 1,000/s often waited for the statement ahead of it.
  static constexpr std::size_t max_batch = 16;
  static constexpr std::size_t max_in_flight = 4;

  // `db_deadline` bounds each batch's database call, as api_context::in_db does one
  // request's (the requests of a batch that runs out fail with deadline_exceeded).
  send_batches(boost::asio::any_io_executor ex, app::database& db, boost::asio::thread_pool& db_pool,
               app::app_queue& queue, std::chrono::milliseconds db_deadline = std::chrono::milliseconds(1000));

  // database::save_user_messages: a request's saved message, std::nullopt when refused.
  app::group_commit<app::user_message_to_save, std::optional<app::saved_user_message>> saves;
  // Adds the job through its shard's batches (app_queue::add_bulk_to); the job added, with
  // its app id. An error of a pipeline (Redis unreachable, too few replicas) fails every
  // request of its batch, which holds one shard's jobs only: a slow or migrating master
  // holds up and fails its own shard's sends, not the others' (a cluster review: one
  // shard's slot migration failed sends of every shard, and stored some it answered 503).
  boost::asio::awaitable<job> add(new_job j);

 private:
  app::app_queue* queue_;
  // One per shard (one for a plain queue), each with its own batches in flight.
  std::vector<std::unique_ptr<app::group_commit<new_job, job>>> adds_;
};

}  // namespace drover::api
