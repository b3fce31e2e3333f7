// registry.hpp - the apps' metrics: counters, gauges and histograms with labels, written
// in the Prometheus text exposition format (version 0.0.4) for `GET /metrics`.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace drover::app::metrics {

// The values of a family's labels, in the order of its label names.
using label_values = std::vector<std::string>;

// A value that only goes up (a count of events since the process started).
// Thread safety: all members may be called from any thread.
class counter {
 public:
  counter() = default;
  // Adds `by`, which must not be negative (a negative amount is ignored: a counter that
  // goes down reads as a restart to Prometheus).
  void inc(double by = 1);
  // For a total kept elsewhere (BullMQ's metrics keys in Redis), read when scraped. It
  // goes down only when its source was reset, which Prometheus reads as a restart.
  void set_total(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (a level sampled now).
// Thread safety: all members may be called from any thread.
class gauge {
 public:
  gauge() = default;
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double by = 1);
  void dec(double by = 1) { inc(-by); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets by upper bound, with their sum and count.
// Thread safety: all members may be called from any thread.
class histogram {
 public:
  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, observations <= bound
    std::uint64_t count = 0;                // all observations (the +Inf bucket)
    double sum = 0;
  };

  explicit histogram(std::vector<double> bounds);
  void observe(double v);
  snapshot read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> buckets_;  // per bound, not cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// Bucket bounds in seconds for request and job durations: 5 ms to 5 min.
std::vector<double> duration_buckets();
// Bucket bounds in seconds for Redis round trips: 0.1 ms to 1 s.
std::vector<double> latency_buckets();

enum class metric_type { counter, gauge, histogram };

// One metric name with its help text and label names; one child per set of label values.
// Thread safety: all members may be called from any thread; references returned by
// with() stay valid until remove() or clear() drops that child.
template <class Metric>
class family {
 public:
  family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {});

  // The child for these label values, created at zero on first use. Throws
  // std::invalid_argument when the number of values is not the number of label names.
  Metric& with(const label_values& values);
  void remove(const label_values& values);
  void clear();

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(values, metric) for each child, in label order, under the family's lock.
  template <class Fn>
  void for_each(Fn fn) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, metric] : children_) fn(values, *metric);
  }

 private:
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<label_values, std::unique_ptr<Metric>> children_;
};

// The metrics of one process. Families are written in the order they were registered.
// Names follow Prometheus' conventions and are checked: [a-zA-Z_:][a-zA-Z0-9_:]* for
// metrics, [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__", not "le" for histograms) for
// labels; a bad name or a name registered twice throws std::invalid_argument.
// Thread safety: all members may be called from any thread.
class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  family<counter>& add_counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  family<gauge>& add_gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  // `bounds`: the buckets' upper bounds, increasing; +Inf is implied.
  family<histogram>& add_histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                   std::vector<double> bounds);

  // Every family in the text exposition format: # HELP, # TYPE, then its samples.
  std::string expose() const;

  // The Content-Type of expose()'s output.
  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct entry {
    metric_type type;
    std::unique_ptr<family<counter>> counters;
    std::unique_ptr<family<gauge>> gauges;
    std::unique_ptr<family<histogram>> histograms;
  };
  void check_new(const std::string& name, const std::vector<std::string>& label_names, metric_type type);

  mutable std::mutex mutex_;
  std::vector<entry> families_;
};

}  // namespace drover::app::metrics
