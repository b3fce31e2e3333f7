// is_finished.hpp - BullMQ's isFinished: whether a job has completed or failed, and with
// what (the check Node's waitUntilFinished makes once it listens for events).
//
// Contract: read-only. KEYS (3): completed, failed, job hash. ARGV (2): job id, "1" to
// answer with the return value or failure reason. Returns {1, returnvalue} when the job
// is in completed, {2, failedReason} when in failed, {0} when in neither, and
// {-1, message} when its hash does not exist.
#pragma once

#include <optional>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

// Where a job stands for a waiter.
struct finish_status {
  enum class kind { running, completed, failed, missing } state = kind::running;
  std::string value;  // the returnvalue JSON (completed) or the failedReason (failed)
};

struct is_finished {
  // KEYS
  std::string completed, failed, job_key;
  // ARGV
  std::string job_id;

  static is_finished of(const queue_keys& k, std::string id) {
    return {k.completed, k.failed, k.job(id), std::move(id)};
  }
  script_call pack() && {
    return {&lua::is_finished, {std::move(completed), std::move(failed), std::move(job_key), job_id, "1"}};
  }
  using result = finish_status;
  result parse(const redis::reply& r) const {
    const redis::reply* code = r.is_array() && !r.elements.empty() ? &r.elements[0] : &r;
    finish_status s;
    switch (code->as_int().value_or(0)) {
      case 1:
        s.state = finish_status::kind::completed;
        break;
      case 2:
        s.state = finish_status::kind::failed;
        break;
      case -1:
        s.state = finish_status::kind::missing;
        break;
      default:
        return s;
    }
    // A nil field (a job completed with no returnvalue stored) reads as empty.
    if (r.is_array() && r.elements.size() > 1 && r.elements[1].is_string()) s.value = r.elements[1].str;
    return s;
  }
};

}  // namespace drover::detail::scripts
