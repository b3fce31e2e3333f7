// add_job.hpp - BullMQ's addStandardJob, addPrioritizedJob and addDelayedJob: the three
// ways a job is added, with the arguments they share.
//
// Contract (all three): takes the custom id, or the next number from the id counter;
// for a custom id already taken, changes no job and answers that id; with a
// deduplication key that is set, adds nothing and answers the existing job's id;
// otherwise writes the job hash and adds an "added" event, then:
// - addStandardJob pushes the id onto wait (paused when the queue is paused; LPUSH or
//   RPUSH by lifo) and sets the marker. KEYS (9): wait, paused, meta, id, completed,
//   delayed, active, events, marker.
// - addPrioritizedJob adds it to prioritized, scored by priority and the pc counter.
//   KEYS (9): marker, meta, id, prioritized, delayed, completed, active, events, pc.
// - addDelayedJob adds it to delayed, scored by its due time, and adds a "delayed"
//   event. KEYS (6): marker, meta, id, delayed, completed, events.
// ARGV (3): msgpacked [prefix, custom id, name, timestamp, parent key, parent
// dependencies key, parent, repeat job key, deduplication key, defer parent release]
// (a repeat job key only when the options name one; a parent only for a flow's child),
// the data (JSON), the msgpacked stored options. Returns the job id, or -5 when the
// parent is missing.
#pragma once

#include <boost/json/object.hpp>

#include <optional>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

// The ARGV all three take.
struct add_job_args {
  std::string prefix;
  std::string custom_id;  // "" : the id counter gives one
  std::string name;
  std::int64_t timestamp = 0;
  std::optional<std::string> deduplication_key;
  std::string data;  // JSON text
  std::string opts;  // msgpacked stored options
  // For drover's lean add only (add_standard_job_lean.hpp), not sent to BullMQ's scripts:
  // the stored options as the script's cjson.encode would write them (core/lua_json.hpp;
  // unset when drover cannot vouch for the text), and whether the job is lifo.
  std::optional<std::string> opts_json;
  bool lifo = false;
  // A child's link to its parent (flows): the parent's job key, the key of its
  // dependencies set, and what the job hash keeps as "parent" ({id, queueKey} and the
  // on-failure flag: fpof, cpof, idof or rdof). Unset: no parent.
  std::optional<std::string> parent_key, parent_dependencies_key;
  boost::json::object parent;
  // A flow's insert releases the parents itself at the end (release_parent.hpp).
  bool defer_parent_release = false;
  // The job's "rjk" (opts.repeatJobKey, which Node keeps out of the stored options).
  std::optional<std::string> repeat_job_key;

  void append_to(script_args& args) &&;
};

struct add_standard_job {
  // KEYS
  std::string wait, paused, meta, id, completed, delayed, active, events, marker;
  add_job_args args;

  static add_standard_job of(const queue_keys& k, add_job_args args) {
    return {k.wait, k.paused, k.meta, k.id, k.completed, k.delayed, k.active, k.events, k.marker, std::move(args)};
  }
  script_call pack() &&;
};

struct add_prioritized_job {
  // KEYS
  std::string marker, meta, id, prioritized, delayed, completed, active, events, pc;
  add_job_args args;

  static add_prioritized_job of(const queue_keys& k, add_job_args args) {
    return {k.marker, k.meta, k.id, k.prioritized, k.delayed, k.completed, k.active, k.events, k.pc, std::move(args)};
  }
  script_call pack() &&;
};

struct add_delayed_job {
  // KEYS
  std::string marker, meta, id, delayed, completed, events;
  add_job_args args;

  static add_delayed_job of(const queue_keys& k, add_job_args args) {
    return {k.marker, k.meta, k.id, k.delayed, k.completed, k.events, std::move(args)};
  }
  script_call pack() &&;
};

// Which script a standard add calls: BullMQ's addStandardJob, or drover's lean add with
// it inside (add_standard_job_lean.hpp). Calls composed into scripts of drover's own
// (a dead-letter copy, a requeue) take BullMQ's.
enum class standard_add { bullmq, lean };

// The add Node's addJob makes: delayed when delay > 0, else prioritized when
// priority > 0, else standard.
script_call pack_add(const queue_keys& k, add_job_args args, std::int64_t delay, std::int64_t priority,
                     standard_add standard = standard_add::bullmq);

// The new job's id from an add's reply. Throws error(script_error) for an error reply,
// the error for a negative code (naming the custom id), and error(protocol_error) for
// no id.
std::string parse_added_id(const redis::reply& r, const lua::script& s, std::string_view custom_id);

}  // namespace drover::detail::scripts
