// registry.cpp - metric families, their children, and the text exposition.
#include "drover_app/metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "drover_app/metrics/text_format.hpp"

namespace drover::app::metrics {

void counter::inc(double by) {
  if (by > 0) value_.fetch_add(by, std::memory_order_relaxed);
}

void gauge::inc(double by) { value_.fetch_add(by, std::memory_order_relaxed); }

histogram::histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), buckets_(bounds_.size(), 0) {}

void histogram::observe(double v) {
  // The first bound not below v; past the last bound only +Inf (the count) holds it.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  std::lock_guard lock(mutex_);
  if (it != bounds_.end()) ++buckets_[static_cast<std::size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += v;
}

histogram::snapshot histogram::read() const {
  snapshot s;
  std::lock_guard lock(mutex_);
  s.cumulative.reserve(buckets_.size());
  std::uint64_t running = 0;
  for (auto n : buckets_) {
    running += n;
    s.cumulative.push_back(running);
  }
  s.count = count_;
  s.sum = sum_;
  return s;
}

std::vector<double> duration_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
}

template <class Metric>
family<Metric>::family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(
        fmt::format("metric {} takes {} label value(s), got {}", name_, label_names_.size(), values.size()));
  }
  std::lock_guard lock(mutex_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, histogram>) {
      slot = std::make_unique<histogram>(bounds_);
    } else {
      slot = std::make_unique<Metric>();
    }
  }
  return *slot;
}

template <class Metric>
void family<Metric>::remove(const label_values& values) {
  std::lock_guard lock(mutex_);
  children_.erase(values);
}

template <class Metric>
void family<Metric>::clear() {
  std::lock_guard lock(mutex_);
  children_.clear();
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

void registry::check_new(const std::string& name, const std::vector<std::string>& label_names, metric_type type) {
  if (!valid_metric_name(name)) throw std::invalid_argument(fmt::format("invalid metric name '{}'", name));
  for (const auto& l : label_names) {
    if (!valid_label_name(l) || (type == metric_type::histogram && l == "le")) {
      throw std::invalid_argument(fmt::format("metric {}: invalid label name '{}'", name, l));
    }
  }
  for (const auto& e : families_) {
    const std::string& existing = e.counters ? e.counters->name() : e.gauges ? e.gauges->name() : e.histograms->name();
    if (existing == name) throw std::invalid_argument(fmt::format("metric {} registered twice", name));
  }
}

family<counter>& registry::add_counter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  check_new(name, label_names, metric_type::counter);
  entry e{metric_type::counter,
          std::make_unique<family<counter>>(std::move(name), std::move(help), std::move(label_names)), nullptr,
          nullptr};
  auto& f = *e.counters;
  families_.push_back(std::move(e));
  return f;
}

family<gauge>& registry::add_gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  check_new(name, label_names, metric_type::gauge);
  entry e{metric_type::gauge, nullptr,
          std::make_unique<family<gauge>>(std::move(name), std::move(help), std::move(label_names)), nullptr};
  auto& f = *e.gauges;
  families_.push_back(std::move(e));
  return f;
}

family<histogram>& registry::add_histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                           std::vector<double> bounds) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end()) {
    throw std::invalid_argument(fmt::format("metric {}: bucket bounds must be increasing", name));
  }
  std::lock_guard lock(mutex_);
  check_new(name, label_names, metric_type::histogram);
  entry e{
      metric_type::histogram, nullptr, nullptr,
      std::make_unique<family<histogram>>(std::move(name), std::move(help), std::move(label_names), std::move(bounds))};
  auto& f = *e.histograms;
  families_.push_back(std::move(e));
  return f;
}

namespace {

template <class Family>
void header(std::string& out, const Family& f, const char* type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name(), escape_help(f.help()), f.name(), type);
}

template <class Family>
void write_simple(std::string& out, const Family& f) {
  f.for_each([&](const label_values& values, const auto& m) {
    out += fmt::format("{}{} {}\n", f.name(), format_labels(f.label_names(), values), format_value(m.value()));
  });
}

void write_histogram(std::string& out, const family<histogram>& f) {
  auto names = f.label_names();
  names.push_back("le");
  f.for_each([&](const label_values& values, const histogram& h) {
    auto s = h.read();
    auto with_le = values;
    with_le.push_back({});
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
      with_le.back() = format_value(h.bounds()[i]);
      out += fmt::format("{}_bucket{} {}\n", f.name(), format_labels(names, with_le), s.cumulative[i]);
    }
    with_le.back() = "+Inf";
    out += fmt::format("{}_bucket{} {}\n", f.name(), format_labels(names, with_le), s.count);
    const auto plain = format_labels(f.label_names(), values);
    out += fmt::format("{}_sum{} {}\n", f.name(), plain, format_value(s.sum));
    out += fmt::format("{}_count{} {}\n", f.name(), plain, s.count);
  });
}

}  // namespace

std::string registry::expose() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& e : families_) {
    switch (e.type) {
      case metric_type::counter:
        header(out, *e.counters, "counter");
        write_simple(out, *e.counters);
        break;
      case metric_type::gauge:
        header(out, *e.gauges, "gauge");
        write_simple(out, *e.gauges);
        break;
      case metric_type::histogram:
        header(out, *e.histograms, "histogram");
        write_histogram(out, *e.histograms);
        break;
    }
  }
  return out;
}

}  // namespace drover::app::metrics
