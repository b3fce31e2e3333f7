// tracing.hpp - OpenTelemetry-compatible tracing: W3C trace context carried in a job's
// options where BullMQ's `telemetry` option (and bullmq-otel) keeps it, and drover's own
// spans exported over OTLP/HTTP with JSON encoding to a collector.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "drover/job_options.hpp"

namespace drover {

// Where spans go. An empty endpoint turns tracing off (nothing is recorded).
struct tracing_options {
  // The collector's base URL ("http://127.0.0.1:4318"; "/v1/traces" is appended unless
  // the URL has a path of its own). Only http:// is supported.
  std::string endpoint{};
  std::string service_name = "drover";             // the resource's service.name
  std::chrono::milliseconds flush_interval{1000};  // a batch is sent at least this often
  std::size_t max_batch = 512;                     // spans in one request
  std::size_t max_queued = 4096;                   // spans waiting; more are dropped (counted)
  std::chrono::milliseconds timeout{2000};         // one export request, connect included

  bool enabled() const { return !endpoint.empty(); }
  // DROVER_OTLP_ENDPOINT and DROVER_OTLP_SERVICE_NAME (or OTEL_SERVICE_NAME); unset: off.
  static tracing_options from_env();
};

// A span's identity as W3C trace context carries it (the `traceparent` header).
struct trace_context {
  std::array<std::uint8_t, 16> trace_id{};
  std::array<std::uint8_t, 8> span_id{};
  std::uint8_t flags = 1;  // 1: sampled

  // "00-<32 hex>-<16 hex>-<2 hex>"; std::nullopt for anything else or all-zero ids.
  static std::optional<trace_context> parse(std::string_view traceparent);
  std::string traceparent() const;
  std::string trace_id_hex() const;
  std::string span_id_hex() const;
};

// The value BullMQ stores as the job's telemetry metadata ("tm"): what bullmq-otel's
// propagation writes, a JSON object of headers ({"traceparent": "..."}).
std::string telemetry_metadata(const trace_context& ctx);
// The trace context a job's options carry (telemetry.metadata), if any and readable.
std::optional<trace_context> trace_parent_of(const job_options& opts);
// Makes `ctx` the parent of the job's spans (sets telemetry.metadata, as Node's
// Queue.add does under bullmq-otel).
void set_trace_parent(job_options& opts, const trace_context& ctx);

// OTLP's span kinds.
enum class span_kind { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };

using attribute_value = std::variant<std::string, std::int64_t, double, bool>;

namespace detail {
class span_exporter;
struct span_record;
}  // namespace detail

// One timed operation. Ends (and is queued for export) when end() is called or it is
// destroyed. A default-made span records nothing (tracing off).
// Thread safety: none; one span belongs to one caller.
class span {
 public:
  span();
  span(std::shared_ptr<detail::span_exporter> to, std::unique_ptr<detail::span_record> r);
  ~span();
  span(span&&) noexcept;
  span& operator=(span&&) noexcept;

  bool recording() const { return record_ != nullptr; }
  // The span's context (its children's parent); std::nullopt when not recording.
  std::optional<trace_context> context() const;
  void set_attribute(std::string key, attribute_value value);
  // Marks the span failed (OTLP status ERROR) with a message.
  void set_error(std::string message);
  void end();

 private:
  std::shared_ptr<detail::span_exporter> to_;
  std::unique_ptr<detail::span_record> record_;
};

// What an exporter did since it started.
struct tracing_stats {
  std::uint64_t exported = 0;  // spans the collector accepted
  std::uint64_t dropped = 0;   // spans lost: queue full, collector away or refusing
};

// Starts spans and sends them, batched, from a thread of its own: starting and ending a
// span never waits for the network. Thread safety: any thread may use it.
class tracer {
 public:
  // The tracer of these options, shared by every queue and worker of the process that
  // has the same endpoint and service name; nullptr when tracing is off.
  static std::shared_ptr<tracer> of(const tracing_options& opts);
  explicit tracer(const tracing_options& opts);
  ~tracer();  // sends what is queued (waiting at most the options' timeout)

  // A new span; a child of `parent` when given, else the root of a new trace.
  span start(std::string name, span_kind kind, const std::optional<trace_context>& parent = std::nullopt);
  tracing_stats stats() const;
  // Sends what is queued now and waits until it is sent or dropped, at most `wait`.
  // Returns false on timeout.
  bool flush(std::chrono::milliseconds wait = std::chrono::seconds(5));

 private:
  std::shared_ptr<detail::span_exporter> exporter_;
};

}  // namespace drover
