// span_exporter.hpp - the queue of ended spans and the thread that sends them to the
// collector in batches over OTLP/HTTP (JSON). Pushing never blocks: a full queue drops
// the span and counts it, and so does a batch the collector does not take.
#pragma once

#include <chrono>
#include <memory>

#include "core/tracing/span_record.hpp"
#include "drover/tracing.hpp"

namespace drover::detail {

class span_exporter {
 public:
  // Starts the sending thread. Throws error(invalid_argument) for an endpoint that is
  // not an http:// URL.
  explicit span_exporter(tracing_options opts);
  ~span_exporter();  // one last send of what is queued, then the thread ends
  span_exporter(const span_exporter&) = delete;
  span_exporter& operator=(const span_exporter&) = delete;

  void push(span_record r);
  tracing_stats stats() const;
  bool flush(std::chrono::milliseconds wait);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace drover::detail
