// send_batches.cpp - see send_batches.hpp.
#include "api/send_batches.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <drover_app/blocking_call.hpp>

namespace net = boost::asio;

namespace drover::api {

namespace {

using saved_outcome = app::batch_outcome<std::optional<app::saved_user_message>>;

// The batch's statement on the database pool. Free functions, not coroutine lambdas:
// the batch is a parameter of the coroutine's own frame.
net::awaitable<std::vector<saved_outcome>> save_batch(net::any_io_executor ex, app::database* db,
                                                      net::thread_pool* pool, std::chrono::milliseconds deadline,
                                                      std::vector<app::user_message_to_save> batch) {
  auto work = [db, batch = std::move(batch)]() { return db->save_user_messages(batch); };
  auto call = app::blocking_call(ex, *pool, std::move(work), deadline);
  auto saved = co_await std::move(call);
  std::vector<saved_outcome> out(saved.size());
  for (std::size_t i = 0; i < saved.size(); ++i) {
    if (saved[i].error) {
      out[i].error = saved[i].error;
    } else {
      out[i].value = std::move(saved[i].saved);
    }
  }
  co_return out;
}

net::awaitable<std::vector<app::batch_outcome<job>>> add_batch(app::app_queue* queue, std::size_t shard,
                                                               std::vector<new_job> jobs) {
  const auto count = jobs.size();
  auto add = queue->add_bulk_to(shard, std::move(jobs));
  std::vector<app::batch_outcome<job>> out(count);
  try {
    auto added = co_await std::move(add);
    for (std::size_t i = 0; i < added.size(); ++i) out[i].value = std::move(added[i]);
  } catch (const bulk_add_error& e) {
    // Redis took some of the batch and refused the rest (maxmemory, script by script):
    // each send its own add's outcome, or a refused send would be told "not queued" of a
    // job that runs, and one that did not of nothing (an operator's drill: a retry as
    // told answered twice).
    for (std::size_t i = 0; i < count; ++i) {
      if (e.added[i]) {
        out[i].value = *e.added[i];
      } else {
        out[i].error = std::make_exception_ptr(*e.refused[i]);
      }
    }
  }
  co_return out;
}

}  // namespace

send_batches::send_batches(net::any_io_executor ex, app::database& db, net::thread_pool& db_pool, app::app_queue& queue,
                           std::chrono::milliseconds db_deadline)
    : saves(
          ex, max_batch,
          [ex, db = &db, pool = &db_pool, db_deadline](std::vector<app::user_message_to_save> batch) {
            return save_batch(ex, db, pool, db_deadline, std::move(batch));
          },
          max_in_flight),
      queue_(&queue) {
  for (std::size_t shard = 0; shard < std::max<std::size_t>(1, queue.shards()); ++shard) {
    adds_.push_back(std::make_unique<app::group_commit<new_job, job>>(
        ex, max_batch,
        [queue = &queue, shard](std::vector<new_job> jobs) { return add_batch(queue, shard, std::move(jobs)); },
        max_in_flight));
  }
}

net::awaitable<job> send_batches::add(new_job j) {
  const auto shard = queue_->pick_shard(j.opts);
  auto added = adds_.at(shard)->submit(std::move(j));
  co_return co_await std::move(added);
}

}  // namespace drover::api
