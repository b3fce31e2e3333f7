// dead_letter_sink.cpp - copies a job that failed for good to the worker's
// dead-letter queue (worker_options::dead_letter_queue); see dead_letter_sink.hpp.
//
// The copy is made after the failure is recorded, so a crash in between loses the
// copy, never the failure; it is retried while Redis is away (as long as recording
// an outcome is, but not past close), and its id is derived from the failure, so a
// retried copy that did land the first time adds nothing.
#include "core/worker/dead_letter_sink.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/dead_letter_format.hpp"
#include "core/redis_retry.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::detail {

std::string dead_letter_id(std::string_view source_queue, std::string_view job_id, std::int64_t finished_on) {
  return fmt::format("{}-{}-{}", source_queue, job_id, finished_on);
}

net::awaitable<void> dead_letter_sink::send(const job& j, std::string reason, json::array traces,
                                            std::int64_t finished_on) {
  const auto& opts = state_.opts;
  const auto& keys = state_.keys;
  if (!queue_) {
    queue_ = std::make_unique<queue>(state_.ex, opts.dead_letter_queue, queue_options{opts.prefix, opts.redis});
  }
  json::object origin{{"queue", keys.queue()},
                      {"jobId", j.id},
                      {"name", j.name},
                      {"opts", j.opts.to_json()},
                      {"failedReason", reason},
                      {"stacktrace", std::move(traces)},
                      {"attemptsMade", j.attempts_made + 1},
                      {"timestamp", j.timestamp},
                      {"processedOn", j.processed_on ? json::value(*j.processed_on) : json::value(nullptr)},
                      {"finishedOn", finished_on},
                      {"worker", opts.name}};
  json::object data;
  data[dead_letter_data_key] = j.data;
  data[dead_letter_origin_key] = std::move(origin);
  job_options o;
  o.job_id = dead_letter_id(keys.queue(), j.id, finished_on);
  const std::string id = *o.job_id;

  // Each attempt adds fresh copies: add() takes its arguments by value.
  auto attempt = [&]() -> net::awaitable<void> {
    json::value payload = data;
    std::string name = j.name;
    job_options add_opts = o;
    co_await queue_->add(std::move(name), std::move(payload), std::move(add_opts));
  };
  const auto deadline = std::chrono::steady_clock::now() + opts.lock_duration;
  auto r = co_await retry_while_redis_away(state_.stop, deadline, on_close::give_up, attempt);
  if (r.value) {
    spdlog::info("queue {}: job {} (attempt {}) copied to dead-letter queue {} as {}", keys.queue(), j.id,
                 j.attempts_made + 1, opts.dead_letter_queue, id);
  } else if (r.stop == retry_stop::closing) {
    spdlog::error("queue {}: job {} (attempt {}): closing before it could be copied to dead-letter queue {}: {}",
                  keys.queue(), j.id, j.attempts_made + 1, opts.dead_letter_queue, r.last_error->what());
  } else {
    spdlog::error("queue {}: job {} (attempt {}): cannot copy it to dead-letter queue {}: {}", keys.queue(), j.id,
                  j.attempts_made + 1, opts.dead_letter_queue, r.last_error->what());
  }
}

void dead_letter_sink::close() {
  if (queue_) queue_->close();
}

}  // namespace drover::detail
