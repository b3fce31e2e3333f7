// job_spans.hpp - the spans drover records for a job, named and linked as BullMQ's own
// telemetry names them: "add <queue>.<name>" (producer) on the queue's side; on the
// worker's, "process <queue>" (consumer, one per attempt, a child of the job's trace
// context) with two children, "attempt" (the processor's run) and "finish" (recording
// the outcome).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "drover/job.hpp"
#include "drover/tracing.hpp"

namespace drover::detail {

// Starts the add span when `t` is set, and makes it the parent the job carries (unless
// the options say telemetry.omitContext). Without a tracer the options are left as
// they are, so a context the caller put there still travels with the job.
span start_add_span(tracer* t, const std::string& queue, const std::string& job_name, job_options& opts);

// The spans of one attempt; each ends when its step is over or the object goes.
class job_trace {
 public:
  job_trace(tracer* t, const std::string& queue, const std::string& worker_id, const std::string& worker_name,
            const job& j);
  // The processor returned or threw (failure: its error).
  void processor_ended(const std::optional<std::string>& failure);
  void finishing();
  // outcome: completed, failed, cancelled, delayed, rate_limited.
  void ended(std::string_view outcome, const std::optional<std::string>& failure);

 private:
  tracer* tracer_;  // the job runner's, which outlives every run
  span process_, attempt_, finish_;
};

}  // namespace drover::detail
