// job_spans.cpp - see job_spans.hpp. Attribute names are BullMQ's (TelemetryAttributes),
// so that a trace reads the same whichever side ran a step.
#include "core/tracing/job_spans.hpp"

namespace drover::detail {

span start_add_span(tracer* t, const std::string& queue, const std::string& job_name, job_options& opts) {
  if (!t) return {};
  auto s = t->start("add " + queue + "." + job_name, span_kind::producer, trace_parent_of(opts));
  s.set_attribute("bullmq.queue.name", queue);
  s.set_attribute("bullmq.queue.operation", std::string("add"));
  s.set_attribute("bullmq.job.name", job_name);
  const auto* tm = opts.extra.if_contains("telemetry");
  const auto* omit = tm && tm->is_object() ? tm->get_object().if_contains("omitContext") : nullptr;
  if (!(omit && omit->is_bool() && omit->get_bool())) set_trace_parent(opts, *s.context());
  return s;
}

job_trace::job_trace(tracer* t, const std::string& queue, const std::string& worker_id, const std::string& worker_name,
                     const job& j)
    : tracer_(t) {
  if (!t) return;
  process_ = t->start("process " + queue, span_kind::consumer, trace_parent_of(j.opts));
  process_.set_attribute("bullmq.queue.name", queue);
  process_.set_attribute("bullmq.queue.operation", std::string("process"));
  process_.set_attribute("bullmq.worker.id", worker_id);
  if (!worker_name.empty()) process_.set_attribute("bullmq.worker.name", worker_name);
  process_.set_attribute("bullmq.job.id", j.id);
  process_.set_attribute("bullmq.job.name", j.name);
  process_.set_attribute("bullmq.job.attempts.made", static_cast<std::int64_t>(j.attempts_made));
  attempt_ = t->start("attempt " + std::to_string(j.attempts_made + 1), span_kind::internal, process_.context());
  attempt_.set_attribute("drover.job.attempt", static_cast<std::int64_t>(j.attempts_made + 1));
}

void job_trace::processor_ended(const std::optional<std::string>& failure) {
  if (failure) attempt_.set_error(*failure);
  attempt_.end();
}

void job_trace::finishing() {
  if (tracer_) finish_ = tracer_->start("finish", span_kind::internal, process_.context());
}

void job_trace::ended(std::string_view outcome, const std::optional<std::string>& failure) {
  if (!tracer_) return;  // no spans: nothing to end, and no attribute strings made per job
  attempt_.end();
  finish_.set_attribute("bullmq.job.state", std::string(outcome));
  finish_.end();
  process_.set_attribute("bullmq.job.state", std::string(outcome));
  if (failure) {
    process_.set_attribute("bullmq.job.failed.reason", *failure);
    process_.set_error(*failure);
  }
  process_.end();
}

}  // namespace drover::detail
