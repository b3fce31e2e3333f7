// registry_test.cpp - the metrics registry and its Prometheus text output.
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <drover_app/metrics/registry.hpp>
#include <drover_app/metrics/text_format.hpp>

namespace m = drover::app::metrics;

TEST(MetricsTextFormat, EscapesHelpAndLabelValues) {
  EXPECT_EQ(m::escape_help("a\\b\nc \"q\""), "a\\\\b\\nc \"q\"");
  EXPECT_EQ(m::escape_label_value("a\\b\nc \"q\""), "a\\\\b\\nc \\\"q\\\"");
  EXPECT_EQ(m::format_labels({"a", "b"}, {"x\"", "y"}), "{a=\"x\\\"\",b=\"y\"}");
  EXPECT_EQ(m::format_labels({}, {}), "");
  // Not UTF-8 (Prometheus refuses the whole scrape): each such byte as the text \xe9.
  EXPECT_EQ(m::escape_label_value("caf\xe9 ok\xc3\xa9 \xff"), "caf\\\\xe9 ok\xc3\xa9 \\\\xff");
  EXPECT_EQ(m::escape_help("\xc3"), "\\\\xc3");
}

TEST(MetricsTextFormat, FormatsValues) {
  EXPECT_EQ(m::format_value(3), "3");
  EXPECT_EQ(m::format_value(0.25), "0.25");
  EXPECT_EQ(m::format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(m::format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(m::format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(std::stod(m::format_value(0.1)), 0.1);  // reads back exactly
}

TEST(MetricsTextFormat, ChecksNames) {
  EXPECT_TRUE(m::valid_metric_name("drover_jobs_total"));
  EXPECT_TRUE(m::valid_metric_name("a:b_c"));
  EXPECT_FALSE(m::valid_metric_name("1abc"));
  EXPECT_FALSE(m::valid_metric_name("a-b"));
  EXPECT_FALSE(m::valid_metric_name(""));
  EXPECT_TRUE(m::valid_label_name("queue"));
  EXPECT_FALSE(m::valid_label_name("__name"));
  EXPECT_FALSE(m::valid_label_name("a:b"));
}

TEST(MetricsRegistry, WritesCountersAndGaugesWithHelpAndType) {
  m::registry r;
  auto& c = r.add_counter("drover_things_total", "Things done.\nSecond line.", {"queue"});
  auto& g = r.add_gauge("drover_level", "A level.");
  c.with({"b"}).inc();
  c.with({"a\"x"}).inc(2.5);
  c.with({"b"}).inc(-5);  // ignored: counters only go up
  g.with({}).set(7);
  g.with({}).dec(2);
  EXPECT_EQ(r.expose(),
            "# HELP drover_things_total Things done.\\nSecond line.\n"
            "# TYPE drover_things_total counter\n"
            "drover_things_total{queue=\"a\\\"x\"} 2.5\n"
            "drover_things_total{queue=\"b\"} 1\n"
            "# HELP drover_level A level.\n"
            "# TYPE drover_level gauge\n"
            "drover_level 5\n");
}

TEST(MetricsRegistry, WritesCumulativeHistogramBuckets) {
  m::registry r;
  auto& h = r.add_histogram("drover_wait_seconds", "Waits.", {"queue"}, {0.1, 1, 10});
  auto& q = h.with({"q"});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) q.observe(v);
  EXPECT_EQ(r.expose(),
            "# HELP drover_wait_seconds Waits.\n"
            "# TYPE drover_wait_seconds histogram\n"
            "drover_wait_seconds_bucket{queue=\"q\",le=\"0.1\"} 2\n"
            "drover_wait_seconds_bucket{queue=\"q\",le=\"1\"} 3\n"
            "drover_wait_seconds_bucket{queue=\"q\",le=\"10\"} 4\n"
            "drover_wait_seconds_bucket{queue=\"q\",le=\"+Inf\"} 5\n"
            "drover_wait_seconds_sum{queue=\"q\"} 55.65\n"
            "drover_wait_seconds_count{queue=\"q\"} 5\n");
}

TEST(MetricsRegistry, RefusesBadNamesLabelsAndDuplicates) {
  m::registry r;
  EXPECT_THROW(r.add_counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.add_gauge("ok", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.add_histogram("h", "x", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.add_histogram("h", "x", {}, {2, 1}), std::invalid_argument);
  r.add_gauge("twice", "x");
  EXPECT_THROW(r.add_counter("twice", "x"), std::invalid_argument);
  auto& f = r.add_counter("labelled_total", "x", {"a", "b"});
  EXPECT_THROW(f.with({"only-one"}), std::invalid_argument);
}

TEST(MetricsRegistry, RemovesAndClearsChildren) {
  m::registry r;
  auto& g = r.add_gauge("g", "x", {"k"});
  g.with({"a"}).set(1);
  g.with({"b"}).set(2);
  g.remove({"a"});
  EXPECT_EQ(r.expose(), "# HELP g x\n# TYPE g gauge\ng{k=\"b\"} 2\n");
  g.clear();
  EXPECT_EQ(r.expose(), "# HELP g x\n# TYPE g gauge\n");
}

TEST(MetricsRegistry, CountsFromManyThreads) {
  m::registry r;
  auto& c = r.add_counter("n_total", "x", {"t"});
  auto& h = r.add_histogram("d_seconds", "x", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.with({"same"}).inc();
        h.with({}).observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.with({"same"}).value(), 40000);
  EXPECT_EQ(h.with({}).read().count, 40000u);
  EXPECT_EQ(h.with({}).read().cumulative.at(0), 40000u);
}
