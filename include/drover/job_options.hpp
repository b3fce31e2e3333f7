// job_options.hpp - the options of one job, named and checked as BullMQ does.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace drover {

// How long to wait before retrying a failed attempt.
struct backoff_options {
  std::string type = "fixed";      // "fixed" or "exponential" (others need a custom strategy)
  std::int64_t delay = 0;          // ms; exponential doubles it per attempt
  std::optional<double> jitter{};  // in [0, 1]: the share of the delay that is randomised
  // Whether the options named the type and the delay. BullMQ stores a backoff object as
  // given, so one without a "type" or a "delay" is stored without it, as Node stores it
  // (drover's worker still reads a missing type as fixed, a missing delay as 0).
  bool type_given = true;
  bool delay_given = true;
  // The object's other fields, kept as given and stored again with the job (a retry, a
  // scheduler's next job): a custom strategy's settings, which Node's backoffStrategy
  // reads from job.opts.backoff. from_json() takes them only beside a custom type; a
  // job read from Redis keeps whatever it has.
  boost::json::object other = {};
};

// Replicated adds, drover's own and not BullMQ's: the add sends Redis's WAIT behind its
// writes and succeeds only when `min_replicas` replicas acknowledged them within
// `timeout`; otherwise it throws drover::error(not_replicated), and the job may still
// exist on the master (docs/reliability.md). Never stored with the job: Node sees the
// same job as without it. Adds sent together (add_bulk, a flow) wait once, for the most
// replicas any of them asks, within the longest timeout among those. While WAIT blocks,
// later calls on the same queue's connection wait behind it.
struct replication_options {
  std::int64_t min_replicas = 0;            // 0: do not wait (replication stays asynchronous)
  std::chrono::milliseconds timeout{1000};  // how long WAIT may block: >= 1 ms, < redis_options::command_timeout
};

// Every field left unset is left out of what is stored, as BullMQ leaves it out.
struct job_options {
  std::optional<std::string> job_id{};      // custom id; not an integer, no ':', not "0"
  std::optional<std::int64_t> timestamp{};  // creation time in ms; default now
  std::optional<std::int64_t> delay{};      // ms before the job may run; default 0
  std::optional<std::int64_t> priority{};   // 1 (first) .. 2097151; 0 or unset: none
  std::optional<bool> lifo{};               // add at the front of the wait list
  std::optional<std::int64_t> attempts{};   // total tries; stored, default 0 (= 1 try)
  std::optional<backoff_options> backoff{};
  // true (remove at once), a count to keep, or {"age": s, "count": n, "limit": l}.
  boost::json::value remove_on_complete{};  // null: keep every job
  boost::json::value remove_on_fail{};      // null: keep every job
  std::optional<std::int64_t> stack_trace_limit{};
  std::optional<std::int64_t> keep_logs{};
  std::optional<std::int64_t> size_limit{};  // bytes of data; refused when larger
  std::optional<std::int64_t> timeout{};     // ms (drover's option, kept in opts)
  boost::json::object deduplication{};       // {"id": ..., "ttl"?: ms, ...}; empty: none
  boost::json::object extra{};               // other BullMQ options, passed through
  // drover's own, never stored ("minReplicas", "replicationTimeout" in from_json).
  replication_options replication{};

  // Parses options with BullMQ's public names ({"jobId": ..., "delay": ...,
  // "backoff": {"type": "exponential", "delay": 1000}, ...}), and drover's
  // "minReplicas" and "replicationTimeout" (ms) into `replication`. Throws
  // drover::error(invalid_argument) naming the option that is wrong or unknown.
  static job_options from_json(const boost::json::value& v);

  // Reads the "opts" field of a job hash (BullMQ's compressed names); lenient.
  static job_options from_stored(const boost::json::object& o);

  // The object BullMQ stores in the job hash (compressed names; attempts always present;
  // `replication` left out).
  boost::json::object to_stored() const;
  // The object with public names, as Node's job.opts shows it.
  boost::json::object to_json() const;

  // Checks the rules BullMQ checks before adding, and that `replication` has
  // min_replicas >= 0 and a timeout of at least 1 ms (Redis's WAIT takes 0 to mean
  // "forever"); throws drover::error(invalid_argument).
  void validate() const;
};

}  // namespace drover
