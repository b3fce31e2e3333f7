// fetcher.hpp - the worker's actor that takes jobs off the queue while it has free slots,
// and waits on the queue's marker, not polling, when there are none to take.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/scripts/move_to_active.hpp"
#include "core/worker/event.hpp"
#include "core/worker/job_runner.hpp"
#include "core/worker/slot_line.hpp"
#include "core/worker/worker_state.hpp"
#include "redis/connection.hpp"
#include "redis/reply.hpp"

namespace drover::detail {

// It owns its blocking connection and what it knows of the queue: drained until the
// next delayed job is due, rate limited until when, backing off from an error. It shares
// the running table (it adds each job it takes) and the stop signal, and hands each job
// to the job runner in a slot: the job, then the jobs its finishing calls fetched.
// Thread safety: none; use it from the worker's executor.
class fetcher : public std::enable_shared_from_this<fetcher> {
 public:
  fetcher(std::shared_ptr<worker_state> state, std::shared_ptr<job_runner> runner);

  // The fetch loop, until the stop signal.
  boost::asio::awaitable<void> run();
  // close()'s quiet step: ends the wait for a free slot and the marker wait at once
  // (after the stop signal has fired).
  void quiet();
  // Releases the blocking connection.
  void close();
  // Returns once no fetch is in flight, or at the deadline. close() waits for it before
  // waiting for the running jobs: the job a fetch in flight takes joins them, to finish
  // within the grace or be handed back (it ran on closed connections instead, failed to
  // record anything, and stayed active until its lock expired: a new user's review).
  boost::asio::awaitable<void> fetch_settled(std::chrono::steady_clock::time_point deadline);

  // What a fetch answered (moveToActive, or a finish that fetched): the job, or
  // nothing, having noted why (rate limited, or drained until the next delayed job).
  std::optional<job> take_fetched(scripts::fetched f);
  std::optional<job> take_fetch_reply(redis::reply& r);  // parses, then take_fetched

 private:
  class fetch_in_flight;
  boost::asio::awaitable<void> wait_for_job();
  // `wait` (the marker wait) behind dropStaleMarker in one pipeline; their replies.
  boost::asio::awaitable<std::vector<redis::reply>> drop_stale_marker_then(redis::command wait,
                                                                           std::chrono::milliseconds extra_timeout);
  // Ends the marker wait when the next delayed job is due; returns whether it armed
  // the timer.
  bool arm_due_timer(std::chrono::milliseconds due_in);
  boost::asio::awaitable<void> unblock(std::int64_t client_id);
  boost::asio::awaitable<std::optional<job>> move_to_active(const std::string& token);
  // Runs a job, then the jobs its finishing calls fetched (BullMQ's fetchNext), in one
  // slot; wakes the loop when the slot frees.
  // `held`: the shared budget's slot it runs in, handed back when the slot frees.
  boost::asio::awaitable<void> run_slot(job first, std::string token, budget_slot held);
  void leave_line();
  void redis_failed(const error& e);
  void fetch_refused(const error& e);  // Redis answered with an error (an ACL, a script's)
  void redis_answers();                // a fetch or a marker wait succeeded
  // Connects the blocking connection (named, for getWorkers) when it is not: a PING;
  // Redis away is not an error here.
  boost::asio::awaitable<void> keep_listed();
  // Whether a finishing call should fetch the next job too.
  bool fetch_with_finish() const;

  using clock = std::chrono::steady_clock;

  std::shared_ptr<worker_state> state_;
  std::shared_ptr<job_runner> runner_;
  std::shared_ptr<redis::connection> blocking_;  // BZPOPMIN on the marker; named for getWorkers()
  boost::asio::steady_timer due_timer_;          // the next delayed job is due: end the marker wait
  event slot_freed_;                             // a slot freed up, or quiet()
  event back_off_over_;                          // the sentinels named a new master, or quiet()
  bool fetching_ = false;                        // a moveToActive in flight, until its job is in the running table
  event fetch_ended_;
  bool drained_ = false;
  bool empty_reported_ = false;       // the owner was told the queue is empty (worker_events::drained)
  std::int64_t next_delayed_ms_ = 0;  // when the next delayed job is due, if known
  bool unblock_refused_ = false;      // CLIENT UNBLOCK is not allowed: no due timer
  clock::time_point rate_limited_until_{};
  std::chrono::milliseconds error_backoff_{0};
  std::optional<clock::time_point> lost_since_;  // the first failure of an outage that goes on
  clock::time_point last_outage_log_{};
  std::string last_refusal_;  // the last refusal logged, while it repeats
  clock::time_point last_refusal_log_{};
  std::uint64_t refusals_unlogged_ = 0;
  static constexpr std::chrono::seconds outage_log_interval{30};
};

}  // namespace drover::detail
