// cancel_job.hpp - drover's cancelJob (src/lua/cancelJob-2.lua): leaves a cancellation
// request in a job's hash.
//
// Contract: atomically checks that the job exists and has not finished, writes the
// request into the job hash, and says whether a worker holds the job's lock. KEYS (2):
// job hash, job's lock. ARGV (2): the hash field, the request (JSON). Returns -1 no
// such job, 1 already finished, 2 locked (request left), 3 not locked (request left).
#pragma once

#include "core/cancellation.hpp"
#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct cancel_job {
  // KEYS
  std::string job_key, lock;
  // ARGV
  std::string field;    // detail::cancel_field
  std::string request;  // JSON text: reason and time
  // Not sent: names the job in errors.
  std::string job_id;

  static cancel_job of(const queue_keys& k, std::string id, std::string request_json) {
    return {k.job(id), k.lock(id), std::string(cancel_field), std::move(request_json), std::move(id)};
  }
  script_call pack() && {
    return {&lua::cancel_job, {std::move(job_key), std::move(lock), std::move(field), std::move(request)}};
  }
  enum class result { not_found, finished, locked, unlocked };
  // -1, 1, 2, and 3 (or any other number); throws error(protocol_error) for a reply
  // that is not a number.
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
