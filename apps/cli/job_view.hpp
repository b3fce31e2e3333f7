// job_view.hpp - jobs as people read them: a table row per job (`drover queue jobs`)
// and every field of one job (`drover queue job`).
#pragma once

#include <cstdint>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include <drover/job.hpp>
#include <drover/job_state.hpp>

#include "job_page.hpp"

namespace drover::cli {

// ID, NAME, STATE, ATTEMPTS, CREATED, TIME (processing time, or time waited so far),
// DETAIL (failed reason, or progress); `now_ms` is the clock for "waited so far".
void print_job_table(std::ostream& out, const std::vector<listed_job>& jobs, std::int64_t now_ms);

// Every field of one job, one per line, then its data, return value, stack trace and logs.
void print_job_detail(std::ostream& out, const job& j, std::optional<job_state> state,
                      const std::vector<std::string>& logs, std::int64_t now_ms);

}  // namespace drover::cli
