// add_log.hpp - BullMQ's addLog: appends a line to a job's log.
//
// Contract: pushes the line onto the job's logs list, then, when keepLogs is given,
// trims the list to its newest keepLogs lines. KEYS (2): job hash, job's logs list.
// ARGV (3): job id, the line, keepLogs ("" for no limit). Returns the number of lines
// kept, or -1 when the job is missing.
#pragma once

#include <optional>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct add_log {
  // KEYS
  std::string job_key, logs;
  // ARGV
  std::string job_id;  // also names the job in errors
  std::string line;
  std::string keep_logs;  // a count, or "" to keep every line

  // keepLogs 0 is no limit, as Node sends it (`keepLogs ? keepLogs : ''`): "0" would make
  // the script trim from -0, which Redis refuses, failing the job at its first log line.
  static add_log of(const queue_keys& k, std::string id, std::string line,
                    std::optional<std::int64_t> keep = std::nullopt) {
    return {k.job(id), k.logs(id), id, std::move(line), keep && *keep != 0 ? std::to_string(*keep) : std::string()};
  }
  script_call pack() && {
    return {&lua::add_log, {std::move(job_key), std::move(logs), job_id, std::move(line), std::move(keep_logs)}};
  }
  // The number of lines the log holds now; throws for -1 (the job is missing).
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::add_log, job_id); }
};

}  // namespace drover::detail::scripts
