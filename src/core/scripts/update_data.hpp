// update_data.hpp - BullMQ's updateData: replaces a job's data.
//
// Contract: sets the job hash's "data" field. KEYS (1): job hash. ARGV (1): the data as
// JSON. Returns 0, or -1 when the job is missing.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct update_data {
  // KEYS
  std::string job_key;
  // ARGV
  std::string data;  // JSON text
  // Not sent: names the job in errors.
  std::string job_id;

  static update_data of(const queue_keys& k, std::string id, std::string data_json) {
    return {k.job(id), std::move(data_json), std::move(id)};
  }
  script_call pack() && { return {&lua::update_data, {std::move(job_key), std::move(data)}}; }
  // Throws for -1 (the job is missing).
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::update_data, job_id); }
};

}  // namespace drover::detail::scripts
