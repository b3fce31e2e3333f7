// tracing_test.cpp - drover's spans as a collector receives them: the add span and each
// attempt's process, attempt and finish spans in one trace, linked parent to child under
// the context the producer gave; retries as sibling process spans; and a collector that
// is away costing the producer nothing but counted drops.
#include <drover/queue.hpp>
#include <drover/tracing.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>

#include "core/tracing/span_record.hpp"
#include "support/engine_test.hpp"
#include "support/otlp_receiver.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

using test::received_span;

class tracing_test : public test::queue_fixture {
 protected:
  tracing_test() : queue_fixture("tracing-test") {}

  tracing_options topts(std::string service) const {
    tracing_options t;
    t.endpoint = collector.url();
    t.service_name = std::move(service);
    t.flush_interval = 100ms;
    return t;
  }
  queue_options traced_qopts() const {
    auto o = qopts();
    o.tracing = topts("producer");
    return o;
  }
  worker_options traced_wopts() const {
    auto o = wopts();
    o.tracing = topts("consumer");
    o.name = "traced-worker";
    return o;
  }
  std::vector<received_span> named(const std::string& prefix) const {
    std::vector<received_span> out;
    for (auto& s : collector.spans()) {
      if (s.name.rfind(prefix, 0) == 0) out.push_back(s);
    }
    return out;
  }
  // Waits until the collector has `n` spans whose names start with `prefix`.
  net::awaitable<bool> has(std::string prefix, std::size_t n) {
    auto enough = [this, prefix, n]() -> net::awaitable<bool> { co_return named(prefix).size() >= n; };
    co_return co_await eventually(enough);
  }

  test::otlp_receiver collector;
};

trace_context some_parent() {
  trace_context c;
  c.trace_id = detail::random_trace_id();
  c.span_id = detail::random_span_id();
  return c;
}

TEST_F(tracing_test, add_and_each_step_of_processing_are_one_trace_under_the_producers_context) {
  auto proc = processor::async([](job_context&) -> net::awaitable<json::value> { co_return "ok"; });
  const auto parent = some_parent();
  std::string job_id, stored_traceparent;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, traced_qopts());
    job_options o;
    set_trace_parent(o, parent);
    json::value data = json::object{{"x", 1}};
    auto j = co_await q.add("traced", std::move(data), std::move(o));
    job_id = j.id;
    test::worker_thread w(name, proc, traced_wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    auto stored = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(stored.has_value());
    auto ctx = trace_parent_of(stored->opts);
    DROVER_CO_ASSERT_TRUE(ctx.has_value());
    stored_traceparent = ctx->traceparent();
    auto all_sent = has("finish", 1);
    EXPECT_TRUE(co_await std::move(all_sent));
    q.close();
  });

  auto adds = named("add ");
  auto processes = named("process ");
  auto attempts = named("attempt ");
  auto finishes = named("finish");
  ASSERT_EQ(adds.size(), 1u);
  ASSERT_EQ(processes.size(), 1u);
  ASSERT_EQ(attempts.size(), 1u);
  ASSERT_EQ(finishes.size(), 1u);
  const auto& add = adds[0];
  const auto& process = processes[0];

  EXPECT_EQ(add.name, "add " + name + ".traced");
  EXPECT_EQ(add.service, "producer");
  EXPECT_EQ(add.kind, 4);  // PRODUCER
  EXPECT_EQ(add.trace_id, parent.trace_id_hex());
  EXPECT_EQ(add.parent_span_id, parent.span_id_hex());
  EXPECT_EQ(add.attributes.at("bullmq.job.id").as_string(), job_id);
  // The job carries the add span as its parent, as bullmq-otel's Queue.add stores it.
  EXPECT_EQ(stored_traceparent, "00-" + add.trace_id + "-" + add.span_id + "-01");

  EXPECT_EQ(process.name, "process " + name);
  EXPECT_EQ(process.service, "consumer");
  EXPECT_EQ(process.kind, 5);  // CONSUMER
  EXPECT_EQ(process.trace_id, add.trace_id);
  EXPECT_EQ(process.parent_span_id, add.span_id);
  EXPECT_EQ(process.attributes.at("bullmq.job.id").as_string(), job_id);
  EXPECT_EQ(process.attributes.at("bullmq.worker.name").as_string(), "traced-worker");
  EXPECT_EQ(process.attributes.at("bullmq.job.state").as_string(), "completed");
  EXPECT_NE(process.status_code, 2);
  for (const auto& child : {attempts[0], finishes[0]}) {
    EXPECT_EQ(child.trace_id, add.trace_id) << child.name;
    EXPECT_EQ(child.parent_span_id, process.span_id) << child.name;
  }
  EXPECT_EQ(attempts[0].name, "attempt 1");
}

TEST_F(tracing_test, each_attempt_is_a_process_span_under_the_same_add_span) {
  std::atomic<int> runs{0};
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    if (++runs == 1) throw std::runtime_error("first try fails");
    co_return "second";
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, traced_qopts());
    job_options o;
    o.attempts = 2;
    auto j = co_await q.add("retried", json::object{}, std::move(o));
    test::worker_thread w(name, proc, traced_wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    auto all_sent = has("finish", 2);
    EXPECT_TRUE(co_await std::move(all_sent));
    q.close();
  });
  auto adds = named("add ");
  auto processes = named("process ");
  ASSERT_EQ(adds.size(), 1u);
  ASSERT_EQ(processes.size(), 2u);
  EXPECT_TRUE(adds[0].parent_span_id.empty()) << "no context given: the add span is the trace's root";
  for (const auto& p : processes) {
    EXPECT_EQ(p.trace_id, adds[0].trace_id);
    EXPECT_EQ(p.parent_span_id, adds[0].span_id);
  }
  auto first = std::find_if(processes.begin(), processes.end(), [](const auto& p) {
    return p.attributes.at("bullmq.job.attempts.made").as_string() == "0";
  });
  ASSERT_NE(first, processes.end());
  EXPECT_EQ(first->status_code, 2);  // ERROR
  EXPECT_EQ(first->attributes.at("bullmq.job.failed.reason").as_string(), "first try fails");
  auto attempts = named("attempt ");
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_TRUE(std::any_of(attempts.begin(), attempts.end(), [](const auto& a) { return a.name == "attempt 2"; }));
}

TEST_F(tracing_test, a_collector_that_is_away_drops_spans_and_counts_them_without_slowing_adds) {
  tracing_options away;
  {
    // A port that was free a moment ago: nothing listens there.
    net::io_context io;
    net::ip::tcp::acceptor a(io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    away.endpoint = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
  }
  away.service_name = "nowhere";
  away.flush_interval = 50ms;
  auto opts = qopts();
  opts.tracing = away;
  auto t = tracer::of(away);
  ASSERT_TRUE(t);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, opts);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) co_await q.add("unseen", json::object{});
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    q.close();
  });
  EXPECT_TRUE(t->flush(5s));
  EXPECT_EQ(t->stats().exported, 0u);
  EXPECT_EQ(t->stats().dropped, 20u);
}

TEST_F(tracing_test, a_full_queue_drops_the_newest_spans) {
  tracing_options small;
  small.endpoint = collector.url();
  small.service_name = "small-queue";
  small.flush_interval = 10s;
  small.max_queued = 3;
  small.max_batch = 100;
  auto t = tracer::of(small);
  for (int i = 0; i < 5; ++i) t->start("s", span_kind::internal).end();
  EXPECT_TRUE(t->flush(5s));
  EXPECT_EQ(t->stats().exported, 3u);
  EXPECT_EQ(t->stats().dropped, 2u);
}

}  // namespace
}  // namespace drover
