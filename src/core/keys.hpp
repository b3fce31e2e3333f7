// keys.hpp - every Redis key name of a queue, spelled once (BullMQ's layout).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace drover::detail {

// What Node's Queue writes to meta.version: the library and version whose layout this is.
inline constexpr std::string_view bullmq_layout_version = "bullmq:6.7.0";

// Keys are "<prefix>:<queue>:<suffix>"; a job's hash is "<prefix>:<queue>:<id>".
// Braces in the prefix or the queue name are kept as given: that is how a
// Redis Cluster hash tag puts all of a queue's keys in one slot.
class queue_keys {
 public:
  queue_keys(std::string prefix, std::string queue);

  const std::string& prefix() const { return prefix_; }
  const std::string& queue() const { return queue_; }
  // "<prefix>:<queue>:" - what the scripts call the key prefix.
  const std::string& base() const { return base_; }
  // "<prefix>:<queue>" - the qualified name (parent's queueKey in flows).
  std::string qualified() const { return prefix_ + ":" + queue_; }

  std::string key(std::string_view suffix) const { return base_ + std::string(suffix); }
  std::string job(std::string_view id) const { return key(id); }
  std::string lock(std::string_view id) const { return job(id) + ":lock"; }
  std::string logs(std::string_view id) const { return job(id) + ":logs"; }
  // A parent job's children (flows): pending ones (a set of child job keys), processed
  // ones (hash: child key -> return value JSON), failures ignored by idof/cpof (hash:
  // child key -> failed reason; BullMQ calls it ":failed") and failed ones under fpof
  // (zset: child key by time; ":unsuccessful").
  std::string dependencies(std::string_view id) const { return job(id) + ":dependencies"; }
  std::string processed(std::string_view id) const { return job(id) + ":processed"; }
  std::string ignored_failures(std::string_view id) const { return job(id) + ":failed"; }
  std::string unsuccessful(std::string_view id) const { return job(id) + ":unsuccessful"; }

  std::string wait, paused, meta, id, completed, failed, delayed, active, events, marker, prioritized, pc, stalled,
      stalled_check, limiter, repeat, waiting_children;
  // drover's own: a hash of the live drover workers' heartbeats (worker id -> JSON).
  // Not part of BullMQ's layout; BullMQ ignores it.
  std::string worker_statuses;

  // The key of a job state's list or set ("waiting" is stored in "wait").
  std::string state(std::string_view name) const;

 private:
  std::string prefix_, queue_, base_;
};

// The suffixes of BullMQ's queue key map (queue-keys.ts) but "", in its order: every
// key of a queue that is not a job's. Node's removeOrphanedJobs skips keys named so (and
// their sub-keys, "repeat:<id>", "de:<id>") and looks for job ids in each of them.
const std::vector<std::string_view>& key_map_suffixes();
// The sub-keys of a job's hash ("<id>:<suffix>") that removeOrphanedJobs deletes with it.
const std::vector<std::string_view>& job_sub_key_suffixes();
// Whether `id` is the name of one of the queue's own keys ("meta", "failed", drover's
// workers hash) rather than a job's: "<prefix>:<queue>:<id>" is that key, never a job's
// hash. BullMQ's custom ids cannot contain ':', but may be such a word; a lookup of one
// must find no job, and a removal must not delete the key (removing "meta" unpauses).
bool names_queue_key(std::string_view id);
// Throws error(job_not_found) as BullMQ's scripts word a missing job ("Missing key for job
// meta. updateProgress") when `id` names one of the queue's own keys: a call that writes
// a job's hash or sub-keys would otherwise write the queue's (a progress field in meta).
void refuse_queue_key(std::string_view id, std::string_view command);

// Checks a queue name as BullMQ's constructor does (not empty, no ':', which would
// break the key layout); throws drover::error(invalid_argument).
void check_queue_name(std::string_view name);

// The CLIENT SETNAME value BullMQ's getWorkers() looks for:
// "<prefix>:<base64(queue)>" plus an optional suffix such as ":w:<name>" or ":qe".
std::string client_name(std::string_view prefix, std::string_view queue, std::string_view suffix = {});

}  // namespace drover::detail
