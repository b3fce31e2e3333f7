// queue.hpp - the producer and admin side of a queue: add jobs, look at them, manage them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drover/error.hpp"
#include "drover/job.hpp"
#include "drover/job_dependencies.hpp"
#include "drover/job_scheduler.hpp"
#include "drover/job_options.hpp"
#include "drover/job_state.hpp"
#include "drover/redis_options.hpp"
#include "drover/tracing.hpp"

namespace drover {

struct queue_options {
  std::string prefix = "bull";  // key prefix; "{bull}" puts every queue in one cluster slot
  redis_options redis = redis_options::from_env();
  tracing_options tracing = tracing_options::from_env();  // spans of add (tracing.md)
};

// What queue::cancel did.
enum class cancel_outcome {
  removed,           // the job was waiting, delayed or prioritized and is gone
  signalled,         // a worker holds it; drover workers stop it and fail it "cancelled"
  not_found,         // no job has this id
  already_finished,  // it completed or failed before the request
};
// "removed", "signalled", "not_found", "already_finished".
const char* to_string(cancel_outcome o);

// One job of an add_bulk() call.
struct new_job {
  std::string name{};
  boost::json::value data = boost::json::object();
  job_options opts{};
};

// What add_bulk() throws when Redis took some of the call's adds and refused the others:
// at maxmemory Redis refuses each script of a pipeline on its own, so a call can be cut
// in two, and a caller that answers for each job (the API's sends, batched) must not
// say "not added" of one that was. Each job's outcome, in the call's order; code() and
// what() are the first refusal's. Not thrown when every add was refused (the first
// refusal is), nor for a connection lost with the replies (nothing is known of any), nor
// when the jobs that went in were not replicated as asked (not_replicated, for the call).
class bulk_add_error : public error {
 public:
  bulk_add_error(const error& first, std::vector<std::optional<job>> added_jobs,
                 std::vector<std::optional<error>> refusals)
      : error(first), added(std::move(added_jobs)), refused(std::move(refusals)) {}
  std::vector<std::optional<job>> added;      // the job, where its add went in
  std::vector<std::optional<error>> refused;  // its refusal, where it did not
};

// A queue's global rate limit: at most `max` jobs started per `duration`.
struct global_rate_limit {
  std::int64_t max = 0;
  std::chrono::milliseconds duration{0};
};

// What a queue's meta hash holds (Node's queue.getMeta()).
struct queue_meta {
  std::optional<std::int64_t> concurrency{};      // global concurrency
  std::optional<global_rate_limit> rate_limit{};  // global rate limit
  std::optional<std::int64_t> max_len_events{};   // the events stream's approximate cap
  bool paused = false;
  std::string version{};                       // "<library>:<version>" of the last writer
  std::map<std::string, std::string> other{};  // any other field, as stored
};

// BullMQ's per-minute job counts (queue.getMetrics), kept by workers that have
// worker_options::metrics_max_data_points set.
struct queue_metrics {
  std::int64_t count = 0;            // jobs counted since the metrics began
  std::int64_t prev_ts = 0;          // epoch ms of the last counted job
  std::int64_t prev_count = 0;       // `count` when the newest data point was written
  std::vector<std::int64_t> data{};  // jobs per minute, newest minute first
  std::int64_t points = 0;           // data points kept in Redis
  // BullMQ's shape: {meta: {count, prevTS, prevCount}, data, count}.
  boost::json::object to_json() const;
};

// A connection named after BullMQ's worker convention ("<prefix>:<base64(queue)>" with an
// optional ":w:<name>"): a Node or drover worker of the queue.
struct worker_client {
  std::string name{};  // the worker's name (after ":w:"); empty for an unnamed worker
  std::string addr{};  // ip:port as Redis sees it
  std::int64_t age_seconds = 0;
  std::int64_t idle_seconds = 0;
  boost::json::object to_json() const;
};

// What a running drover worker says about itself (a heartbeat every
// worker_options::heartbeat_interval). Node workers publish none.
struct worker_status {
  std::string id{};    // unique per worker object
  std::string name{};  // worker_options::name
  std::string host{};
  std::int64_t pid = 0;
  std::int64_t concurrency = 0;
  std::int64_t busy = 0;                        // jobs running at the last heartbeat
  std::uint64_t completed = 0, failed = 0;      // since the worker started
  std::int64_t started_at = 0, updated_at = 0;  // epoch ms
  std::int64_t heartbeat_ms = 0;                // the worker's heartbeat interval
  boost::json::object to_json() const;
  static worker_status from_json(const boost::json::value& v);  // throws drover::error(protocol)
};

// A named queue of jobs in Redis, laid out as BullMQ 6.7.0 lays it out, so that
// Node's `bullmq` and drover can share it.
//
// Thread safety: none. Call it from coroutines running on the executor it was made
// with, which runs one handler at a time: an io_context that one thread runs, or a
// strand (boost::asio::make_strand(io)) when several do. Programs without an Asio
// event loop use blocking_queue instead.
class queue {
 public:
  // Throws drover::error(invalid_argument) for an empty name or one holding ':'.
  queue(boost::asio::any_io_executor ex, std::string name, queue_options opts = {});
  ~queue();
  queue(queue&&) noexcept;
  queue& operator=(queue&&) noexcept;

  const std::string& name() const;
  const std::string& prefix() const;

  // Adds a job and returns it with its id. A custom jobId that already exists
  // returns the existing job's id and writes nothing. With opts.replication.min_replicas,
  // returns only once that many replicas confirmed the add (WAIT). Throws drover::error:
  // invalid_argument (bad options; nothing written), not_replicated (too few replicas
  // confirmed in time; the job may still exist on the master), or a Redis failure. A
  // failure after the call was sent (the connection lost, no reply in time) does not say
  // whether Redis ran it: the job may exist and run. To retry without a second job, give
  // the add a jobId (or a deduplication id) of your own: a retry then finds the first.
  boost::asio::awaitable<job> add(std::string name, boost::json::value data, job_options opts = {});
  // Adds many jobs in one pipeline; returns them in the same order. One WAIT follows
  // the pipeline when a job asks for replicas (job_options.hpp); not_replicated then
  // concerns every job of the call. Throws bulk_add_error when Redis refused some adds
  // and took others.
  boost::asio::awaitable<std::vector<job>> add_bulk(std::vector<new_job> jobs);
  // Keeps the ids this queue's adds get above those in `ids` (ids it gave that the
  // application recorded; custom ids are passed over) and above every id they got
  // before: add() and add_bulk() first raise Redis's id counter to the highest, in their
  // own pipeline, when it is lower, which happens only after Redis lost its data (a
  // restart without persistence, a failover to a replica that lagged behind). For an
  // application that records job ids elsewhere (a database): BullMQ's counter starts
  // again at 1 and would give a recorded id to a second job. Off until called (Node's
  // Queue does not do it); a later call never lowers the floor. Other producers of the
  // queue (Node's) are not held to it: their adds count up from wherever the counter is.
  void keep_ids_above(const std::vector<std::string>& ids);

  // std::nullopt when no job has this id, and for an id that is the name of one of the
  // queue's own keys ("meta", "failed", ...), which no job's hash can have.
  boost::asio::awaitable<std::optional<job>> get_job(std::string id);
  // std::nullopt when no job has this id.
  boost::asio::awaitable<std::optional<job_state>> get_job_state(std::string id);
  // Counts per state; no types means BullMQ's defaults (active, completed, delayed,
  // failed, prioritized, waiting, waiting-children; "paused" only when asked for).
  boost::asio::awaitable<std::map<std::string, std::int64_t>> get_job_counts(std::vector<std::string> types = {});
  // Jobs of the given states, [start, end] inclusive within each state, as Node's getJobs
  // (end -1: all): up to end - start + 1 jobs of each, so paging across several states
  // takes their counts (get_job_counts) to know where each begins. Newest first unless asc.
  boost::asio::awaitable<std::vector<job>> get_jobs(std::vector<std::string> types, std::int64_t start = 0,
                                                    std::int64_t end = -1, bool asc = false);
  // As get_jobs, each job without its data, returnvalue and stacktrace: for lists of
  // jobs, which need none of them (a page of jobs of several MB each, read whole in one
  // script, held Redis for seconds and every other client with it). A job removed between
  // the ids and its fields is left out, so a page may hold fewer.
  boost::asio::awaitable<std::vector<job>> get_job_summaries(std::vector<std::string> types, std::int64_t start = 0,
                                                             std::int64_t end = -1, bool asc = false);
  // Log lines of a job, oldest first, and how many there are in all.
  boost::asio::awaitable<std::pair<std::vector<std::string>, std::int64_t>> get_job_logs(std::string id,
                                                                                         std::int64_t start = 0,
                                                                                         std::int64_t end = -1);

  boost::asio::awaitable<void> pause();
  boost::asio::awaitable<void> resume();
  boost::asio::awaitable<bool> is_paused();

  // Removes a job that is not being processed. Returns false when the job did not
  // exist or is locked by a worker (or `id` names one of the queue's own keys).
  boost::asio::awaitable<bool> remove(std::string id);
  // Cancels a job. One that no worker holds is removed, as remove() removes it; for
  // one a worker holds, a request is left in the job's hash, which drover workers
  // anywhere notice within worker_options::cancel_check_interval: they stop the
  // processor and fail the job with the reason "cancelled", without retrying it.
  // Node bullmq workers ignore the request and finish the job as usual. `reason`
  // goes to the failed job's stack trace.
  boost::asio::awaitable<cancel_outcome> cancel(std::string id, std::string reason = {});
  // Moves a failed (or completed) job back to wait. Throws job_not_found or not_in_state.
  boost::asio::awaitable<void> retry_job(std::string id, std::string state = "failed");
  // Moves every failed (or completed) job back to wait.
  boost::asio::awaitable<void> retry_jobs(std::string state = "failed");
  // Moves a delayed job to wait now. Throws not_in_state when the job is not delayed,
  // and also when it does not exist (as BullMQ's promote: it looks only in delayed).
  boost::asio::awaitable<void> promote(std::string id);
  // Moves every delayed job to wait now.
  boost::asio::awaitable<void> promote_jobs();
  // Changes a delayed job's delay (ms from now).
  boost::asio::awaitable<void> change_delay(std::string id, std::int64_t delay_ms);
  // Gives a job a new priority (0: none; up to 2097151), moving a waiting or prioritized
  // job to its new place; with `lifo`, ahead of its peers. Throws job_not_found.
  boost::asio::awaitable<void> change_priority(std::string id, std::int64_t priority, bool lifo = false);
  // Deletes a job's log lines but the last `keep` (0: all).
  boost::asio::awaitable<void> clear_logs(std::string id, std::int64_t keep = 0);
  // Deletes the waiting and prioritized jobs (and the delayed ones with `delayed`).
  boost::asio::awaitable<void> drain(bool delayed = false);
  // Deletes up to `limit` (0: all) jobs in `state` older than `grace`; returns their ids.
  boost::asio::awaitable<std::vector<std::string>> clean(std::chrono::milliseconds grace, std::int64_t limit,
                                                         std::string state = "completed");
  // Pauses the queue, then deletes it and everything in it. Refused (errc::not_in_state,
  // leaving the queue paused) while jobs are active, unless `force`.
  boost::asio::awaitable<void> obliterate(bool force = false);

  // Job schedulers (job_scheduler.hpp), as Node's upsertJobScheduler & co.
  //
  // Creates the scheduler `id` or replaces its options and template, and adds its next job
  // (delayed until due, replacing a waiting or delayed one of the old options). Returns that
  // job, or std::nullopt when none is due any more (limit 0, or no run before end_date).
  // Throws drover::error(invalid_argument) for bad options (nothing written).
  boost::asio::awaitable<std::optional<job>> upsert_job_scheduler(std::string id, repeat_options repeat,
                                                                  job_template tmpl = {});
  // std::nullopt when there is no scheduler `id`.
  boost::asio::awaitable<std::optional<job_scheduler_info>> get_job_scheduler(std::string id);
  // [start, end] (inclusive; end -1: all) by next run time, latest first unless asc.
  boost::asio::awaitable<std::vector<job_scheduler_info>> get_job_schedulers(std::int64_t start = 0,
                                                                             std::int64_t end = -1, bool asc = false);
  boost::asio::awaitable<std::int64_t> get_job_schedulers_count();
  // Removes the scheduler and its delayed next job; false when there was no such scheduler.
  boost::asio::awaitable<bool> remove_job_scheduler(std::string id);

  // Sets a job's progress (any JSON; a number or an object by convention).
  boost::asio::awaitable<void> update_progress(std::string id, boost::json::value progress);
  // Appends a log line, keeping only the newest `keep_logs` lines when given (Node's
  // Queue.addJobLog; job.log() passes the job's keepLogs option, job_options::keep_logs);
  // returns how many lines the job has.
  boost::asio::awaitable<std::int64_t> add_log(std::string id, std::string line,
                                               std::optional<std::int64_t> keep_logs = std::nullopt);
  // Replaces a job's data.
  boost::asio::awaitable<void> update_data(std::string id, boost::json::value data);

  // Deduplication (job_options::deduplication, as BullMQ's `deduplication` option): while
  // a deduplication id is held, adding another job with it returns the holding job instead
  // of a new one. The id is held until that job finishes, or for `ttl` ms when given.
  // The id of the job holding deduplication id `dedup_id`, if any.
  boost::asio::awaitable<std::optional<std::string>> get_deduplication_job_id(std::string dedup_id);
  // Releases `dedup_id` at once, so that the next add with it creates a job. Returns
  // whether it was held.
  boost::asio::awaitable<bool> remove_deduplication_key(std::string dedup_id);

  // Global limits, kept in the queue's meta hash where BullMQ's own workers read them:
  // every worker of the queue, Node's or drover's, obeys them.
  //
  // At most `concurrency` jobs of the queue active at once, across all workers (>= 1).
  boost::asio::awaitable<void> set_global_concurrency(std::int64_t concurrency);
  // std::nullopt when none is set.
  boost::asio::awaitable<std::optional<std::int64_t>> get_global_concurrency();
  boost::asio::awaitable<void> remove_global_concurrency();
  // At most `max` jobs started per `duration`, across all workers (both >= 1).
  boost::asio::awaitable<void> set_global_rate_limit(std::int64_t max, std::chrono::milliseconds duration);
  // std::nullopt when none is set.
  boost::asio::awaitable<std::optional<global_rate_limit>> get_global_rate_limit();
  boost::asio::awaitable<void> remove_global_rate_limit();
  // Whether the global concurrency is used up now (false when none is set).
  boost::asio::awaitable<bool> is_maxed();
  // Stops every worker that runs under a rate limit (its own limiter or the global one)
  // from taking jobs for `duration`, as when the limit is hit (Node's queue.rateLimit;
  // BullMQ's scripts ignore it for workers without a limit).
  boost::asio::awaitable<void> rate_limit(std::chrono::milliseconds duration);
  // Lifts such a pause at once; returns whether one was in force.
  boost::asio::awaitable<bool> remove_rate_limit_key();

  // The queue's meta hash as Node's getMeta() reads it.
  boost::asio::awaitable<queue_meta> get_meta();
  // How many jobs wait at each priority (0: the plain wait list), by priority.
  boost::asio::awaitable<std::map<std::int64_t, std::int64_t>> get_counts_per_priority(
      std::vector<std::int64_t> priorities);
  // Trims the events stream to about `max_length` entries; returns how many went.
  boost::asio::awaitable<std::int64_t> trim_events(std::int64_t max_length);

  // Flows (flow.hpp): what a parent job knows of its children, named by their job keys
  // ("<prefix>:<queue>:<id>"). Each is empty for a job without children, or none.
  //
  // The return values of its completed children (Node's getChildrenValues).
  boost::asio::awaitable<boost::json::object> get_children_values(std::string id);
  // The failures of children it went on without: ignoreDependencyOnFailure and
  // continueParentOnFailure (Node's getIgnoredChildrenFailures, and the deprecated
  // getFailedChildrenValues, which reads the same).
  boost::asio::awaitable<std::map<std::string, std::string>> get_ignored_children_failures(std::string id);
  boost::asio::awaitable<std::map<std::string, std::string>> get_failed_children_values(std::string id);
  // All its children by kind (processed, unprocessed, ignored, failed); with a query,
  // a page of each kind asked for and the cursor of the next (Node's getDependencies).
  boost::asio::awaitable<job_dependencies> get_dependencies(std::string id);
  boost::asio::awaitable<job_dependencies> get_dependencies(std::string id, dependencies_query q);
  // How many children it has of each kind (Node's getDependenciesCount).
  boost::asio::awaitable<dependency_counts> get_dependency_counts(std::string id);

  // Waits until job `id` finishes and returns its return value, as Node's
  // job.waitUntilFinished(queueEvents, ttl). Throws drover::job_failed (what(): the failed
  // reason) when it failed for good, drover::error(job_not_found) when no job has this id,
  // and drover::error(timed_out) when it has not finished within `ttl` (0: no limit). A
  // job already finished is answered at once: the call notes where the events stream
  // ends, then checks the job, then reads the stream from there, so no finish falls in
  // between. It reads the stream on a connection of its own, opened for the call, which
  // close() (and so ~queue) closes: the wait then throws drover::error. An id that names
  // one of the queue's own keys ("meta", "events", ...) is no job (job_not_found).
  boost::asio::awaitable<boost::json::value> wait_until_finished(std::string id, std::chrono::milliseconds ttl = {});
  // Deletes the hashes (and logs, locks, dependencies) of jobs in no state of the queue,
  // as Node's queue.removeOrphanedJobs(count, limit): it SCANs the queue's keys `count` at a
  // time and checks each batch of candidates in one script call. Stops once `limit` (0:
  // none) jobs are removed; returns how many were. Only for orphans left by BullMQ
  // 5.66.6's removal by age; under normal operation there are none.
  boost::asio::awaitable<std::int64_t> remove_orphaned_jobs(std::int64_t count = 1000, std::int64_t limit = 0);

  // Operations.
  // BullMQ's per-minute metrics; `type` is "completed" or "failed"; [start, end] over
  // the data points, newest first (end -1: all).
  boost::asio::awaitable<queue_metrics> get_metrics(std::string type, std::int64_t start = 0, std::int64_t end = -1);
  // The queue's workers as BullMQ's getWorkers() finds them (CLIENT LIST): Node and
  // drover workers alike, on this queue's database only (Node's counts those of every
  // database of the server).
  boost::asio::awaitable<std::vector<worker_client>> get_workers();
  // The live drover workers' own reports (concurrency, busy slots, counts); reports
  // older than three heartbeats are dropped.
  boost::asio::awaitable<std::vector<worker_status>> get_worker_statuses();

  // Closes the connection; later calls fail with errc::closed.
  void close();

  struct impl;

 private:
  // Requeues a dead letter with its add and the entry's removal in one script call on
  // the dead-letter queue's connection (src/core/dead_letter_queue.cpp).
  friend class dead_letter_queue;
  std::unique_ptr<impl> impl_;
};

}  // namespace drover
