// gone_job.hpp - what a job_logs row says of a chat job that left Redis unanswered.
//
// Redis may lose a job (a restart without persistence, a failover to a replica that was
// behind) or an operator may remove it (a drain or a clean, which send no event per
// job). Its row is then made failed with one of these reasons; a send retried with its
// Idempotency-Key queues its message again when its job's row says one (chat_routes.cpp).
#pragma once

#include <string_view>

#include <drover_app/db/database.hpp>

namespace drover::api {

// Gone from Redis with no end recorded, once the relay has written every event it read
// (ended_job.cpp).
inline constexpr std::string_view gone_unfinished_reason = "removed before it finished (the job is no longer in Redis)";
// Gone from Redis when the relay reconciles rows after events were lost
// (job_log_reconciler.cpp).
inline constexpr std::string_view gone_unrecorded_reason =
    "the job is no longer in Redis; its outcome was not recorded";

// Whether `row` says its job left Redis without an answer: still waiting or running, or
// made failed for one of the reasons above. A row the answer's webhook made completed,
// or a job that failed or was cancelled, says otherwise.
inline bool left_redis_unanswered(const app::job_log& row) {
  if (row.status == "pending" || row.status == "processing") return true;
  return row.status == "failed" && row.error_message &&
         (*row.error_message == gone_unfinished_reason || *row.error_message == gone_unrecorded_reason);
}

}  // namespace drover::api
