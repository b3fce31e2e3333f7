// send_batches.hpp - POST /api/chat/send's two group commits (issue 15): the database
// work of concurrent sends in one statement, their job adds in one Redis pipeline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
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
struct send_batches {
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
  // app_queue::add_bulk: the job added, with its app id. An error of the pipeline (Redis
  // unreachable, too few replicas) fails every request of its batch.
  app::group_commit<new_job, job> adds;
};

}  // namespace drover::api
