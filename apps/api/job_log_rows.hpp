// job_log_rows.hpp - the job_logs row a chat job starts with, read from the job itself.
#pragma once

#include <string>

#include <drover/job.hpp>
#include <drover_app/db/database.hpp>

namespace drover::api {

// The pending row of job `j`, named `app_id` under the logical queue `queue`: its name,
// its owner and its data without the context (the previous messages and the assessment,
// which the conversation holds already; a copy per job would grow the table with its
// square). The caller sets the time and, for the job's first event, `begins`.
app::job_log_update pending_job_log(const std::string& queue, const std::string& app_id, const job& j);

}  // namespace drover::api
