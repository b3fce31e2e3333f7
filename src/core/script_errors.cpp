// script_errors.cpp - one table from script return codes to drover errors.
#include "core/script_errors.hpp"

#include <fmt/format.h>

#include "redis/reply.hpp"

namespace drover::detail {

error script_code_error(std::int64_t code, std::string_view id, std::string_view cmd, std::string_view state) {
  // A lean script of drover's stands for BullMQ's own: its errors, which land in a job's
  // failedReason and stack trace, carry the name Node's would ("moveToFinished").
  if (cmd.ends_with("Lean")) cmd.remove_suffix(4);
  switch (code) {
    case -1:
      return {errc::job_not_found, fmt::format("Missing key for job {}. {}", id, cmd)};
    case -2:
      return {errc::lock_missing, fmt::format("Missing lock for job {}. {}", id, cmd)};
    case -3:
      return {errc::not_in_state, fmt::format("Job {} is not in the {} state. {}", id,
                                              state.empty() ? std::string_view("expected") : state, cmd)};
    case -4:
      return {errc::pending_children, fmt::format("Job {} has pending dependencies. {}", id, cmd)};
    case -5:
      return {errc::parent_missing, fmt::format("Missing key for parent job {}. {}", id, cmd)};
    case -6:
      return {errc::lock_mismatch, fmt::format("Lock mismatch for job {}. Cmd {} from {}", id, cmd, state)};
    case -7:
      return {errc::invalid_argument, fmt::format("The parent job {} cannot be replaced. {}", id, cmd)};
    case -8:
      return {errc::invalid_argument,
              fmt::format("Job {} belongs to a job scheduler and cannot be removed directly. {}", id, cmd)};
    case -9:
      return {errc::pending_children, fmt::format("Job {} has failed children. {}", id, cmd)};
    // Job schedulers (addJobScheduler): the iteration's id is taken.
    case -10:
      return {errc::script_error,
              fmt::format("Cannot create job scheduler iteration {} - job ID already exists. {}", id, cmd)};
    case -11:
      return {
          errc::script_error,
          fmt::format("Cannot create job scheduler iteration {} - current and next time slots already have jobs. {}",
                      id, cmd)};
    default:
      return {errc::script_error, fmt::format("Unknown code {} error for {}. {}", code, id, cmd)};
  }
}

error script_reply_error(std::string_view script, std::string_view message) {
  return error(redis::is_passing_refusal(message) ? errc::redis_unavailable : errc::script_error,
               fmt::format("script {} failed: {}", script, redis::explained(message)));
}

}  // namespace drover::detail
