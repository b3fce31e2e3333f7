// tracer.cpp - spans and the tracer that starts them; the exporter does the sending.
#include <map>
#include <mutex>
#include <utility>

#include "core/tracing/span_exporter.hpp"
#include "drover/tracing.hpp"

namespace drover {

span::span(std::shared_ptr<detail::span_exporter> to, std::unique_ptr<detail::span_record> r)
    : to_(std::move(to)), record_(std::move(r)) {}
span::span() = default;
span::~span() { end(); }
span::span(span&&) noexcept = default;
span& span::operator=(span&& o) noexcept {
  if (this != &o) {
    end();
    to_ = std::move(o.to_);
    record_ = std::move(o.record_);
  }
  return *this;
}

std::optional<trace_context> span::context() const {
  if (!record_) return std::nullopt;
  return record_->ctx;
}

void span::set_attribute(std::string key, attribute_value value) {
  if (!record_) return;
  for (auto& [k, v] : record_->attributes) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  record_->attributes.emplace_back(std::move(key), std::move(value));
}

void span::set_error(std::string message) {
  if (!record_) return;
  record_->failed = true;
  record_->status_message = std::move(message);
}

void span::end() {
  if (!record_) return;
  record_->end_ns = detail::now_unix_ns();
  to_->push(std::move(*record_));
  record_.reset();
  to_.reset();
}

std::shared_ptr<tracer> tracer::of(const tracing_options& opts) {
  if (!opts.enabled()) return nullptr;
  // One exporter thread per collector and service, however many queues and workers.
  static std::mutex mu;
  static std::map<std::pair<std::string, std::string>, std::weak_ptr<tracer>> shared;
  std::lock_guard lock(mu);
  auto& slot = shared[{opts.endpoint, opts.service_name}];
  if (auto t = slot.lock()) return t;
  auto t = std::make_shared<tracer>(opts);
  slot = t;
  return t;
}

tracer::tracer(const tracing_options& opts) : exporter_(std::make_shared<detail::span_exporter>(opts)) {}
tracer::~tracer() = default;

span tracer::start(std::string name, span_kind kind, const std::optional<trace_context>& parent) {
  auto r = std::make_unique<detail::span_record>();
  if (parent) {
    r->ctx.trace_id = parent->trace_id;
    r->ctx.flags = parent->flags;
    r->parent_span_id = parent->span_id;
  } else {
    r->ctx.trace_id = detail::random_trace_id();
  }
  r->ctx.span_id = detail::random_span_id();
  r->name = std::move(name);
  r->kind = kind;
  r->start_ns = detail::now_unix_ns();
  return span(exporter_, std::move(r));
}

tracing_stats tracer::stats() const { return exporter_->stats(); }
bool tracer::flush(std::chrono::milliseconds wait) { return exporter_->flush(wait); }

}  // namespace drover
