// flow_test.cpp - flows against a real redis-server: flow_producer's trees laid out as
// BullMQ lays them out, run by drover workers, with each on-failure option; the reads
// of a parent's children; get_flow; and children added by a running processor.
#include <drover/flow.hpp>
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

// Children: fail when data.fail, else answer {n: data.n * 2}.
processor child_processor() {
  return processor::async([](job_context& ctx) -> net::awaitable<json::value> {
    const auto& d = ctx.job().data.as_object();
    if (auto* f = d.if_contains("fail"); f && f->as_bool()) throw unrecoverable_error("child says no");
    if (auto* ms = d.if_contains("ms")) co_await test::sleep_ms(static_cast<long>(ms->to_number<std::int64_t>()));
    co_return json::object{{"n", d.at("n").to_number<std::int64_t>() * 2}};
  });
}

// Parents: answer what they know of their children.
processor parent_processor() {
  return processor::async([](job_context& ctx) -> net::awaitable<json::value> {
    auto values = co_await ctx.children_values();
    auto ignored = co_await ctx.ignored_children_failures();
    json::object failures;
    for (const auto& [k, v] : ignored) failures[k] = v;
    co_return json::object{{"values", values}, {"ignored", failures}};
  });
}

flow_job child(const std::string& queue, std::int64_t n, bool fail = false) {
  return flow_job{"child", queue, "", json::object{{"n", n}, {"fail", fail}}, {}, {}};
}

class flow_test : public test::queue_fixture {
 protected:
  flow_test() : queue_fixture("flow-test"), children_name(name + "-children") {}
  flow_producer_options fopts() const { return flow_producer_options{"bull", redis()}; }
  std::string child_key(const std::string& id) const { return "bull:" + children_name + ":" + id; }

  // Runs `body(flows, parents)` (a coroutine) with a flow producer and the parents'
  // queue, and closes both after it.
  template <class Body>
  void with_flows(Body body) {
    run_async([&](net::io_context& io) -> net::awaitable<void> {
      flow_producer flows(io.get_executor(), fopts());
      queue parents(io.get_executor(), name, qopts());
      auto run = body(flows, parents);  // named: GCC 12 and co_await temporaries
      co_await std::move(run);
      parents.close();
      flows.close();
    });
  }

  // A parent processor that adds a child job of `data` for each element of `children`
  // and waits for them, after `pause_ms`; run again once they finish, it answers
  // {children: their values}. Counts its runs in `runs`.
  processor spawning_parent(std::atomic<int>& runs, std::vector<json::value> children, long pause_ms = 0) const {
    return processor::async([&runs, opts = qopts(), kids = children_name, children,
                             pause_ms](job_context& ctx) -> net::awaitable<json::value> {
      ++runs;
      auto values = co_await ctx.children_values();
      if (!values.empty()) co_return json::object{{"children", values}};
      auto ex = co_await net::this_coro::executor;
      queue q(ex, kids, opts);
      for (const auto& c : children) {
        job_options o;
        set_parent(o, as_parent(ctx));
        json::value data = c;
        co_await q.add("spawned", std::move(data), std::move(o));
      }
      q.close();
      if (pause_ms > 0) co_await test::sleep_ms(pause_ms);
      throw wait_for_children();
    });
  }

  // Workers on both queues: parent_processor on the parents', child_processor on the
  // children's.
  struct workers {
    explicit workers(const flow_test& t)
        : parents(t.name, parent_processor(), t.wopts()), children(t.children_name, child_processor(), t.wopts()) {}
    test::worker_thread parents;
    test::worker_thread children;
  };

  std::string children_name;
};

TEST_F(flow_test, a_tree_is_laid_out_as_bullmq_lays_it_out_and_its_parent_runs_last) {
  with_flows([&](flow_producer& flows, queue& parents) -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    queue children(ex, children_name, qopts());
    flow_job tree{"parent", name, "", json::object{{"p", 1}}, {}, {child(children_name, 1), child(children_name, 2)}};
    auto added = co_await flows.add(tree);
    DROVER_CO_ASSERT_TRUE(added.children.size() == 2);
    const auto& pid = added.job.id;
    EXPECT_EQ(pid.size(), 36u);  // a UUID, as Node's FlowProducer gives
    EXPECT_EQ(co_await parents.get_job_state(pid), job_state::waiting_children);
    EXPECT_EQ(cli("ZSCORE " + key("waiting-children") + " " + pid).empty(), false);
    auto c0 = co_await children.get_job(added.children[0].job.id);
    DROVER_CO_ASSERT_TRUE(c0.has_value());
    EXPECT_EQ(c0->parent_key, "bull:" + name + ":" + pid);
    EXPECT_EQ(c0->parent, (json::object{{"id", pid}, {"queueKey", "bull:" + name}}));
    EXPECT_EQ(c0->opts.extra.at("parent"), (json::object{{"id", pid}, {"queue", "bull:" + name}}));
    EXPECT_FALSE(c0->opts.job_id.has_value());  // the id is not stored in opts, as in Node
    auto counts = co_await parents.get_dependency_counts(pid);
    EXPECT_EQ(counts.unprocessed, 2);
    EXPECT_EQ(counts.processed, 0);

    workers running(*this);
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, pid, job_state::completed); }));
    auto done = co_await parents.get_job(pid);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    const auto& values = done->returnvalue.at("values").as_object();
    EXPECT_EQ(values.at(child_key(added.children[0].job.id)), (json::object{{"n", 2}}));
    EXPECT_EQ(values.at(child_key(added.children[1].job.id)), (json::object{{"n", 4}}));
    auto direct = co_await parents.get_children_values(pid);
    EXPECT_EQ(direct, values);
    auto deps = co_await parents.get_dependencies(pid);
    EXPECT_EQ(deps.processed.size(), 2u);
    EXPECT_TRUE(deps.unprocessed.empty());
    children.close();
  });
}

// Node's FlowProducer collects the trees of an addBulk level by level across all of
// them (the roots, then their children in their parents' order, ...), so its jobs reach
// wait in that order; drover's must too, or workers take them in another order.
TEST_F(flow_test, trees_are_added_level_by_level_in_the_order_node_adds_them) {
  with_flows([&](flow_producer& flows, queue& parents) -> net::awaitable<void> {
    auto node = [this](const std::string& id, std::vector<flow_job> children = {}) {
      flow_job f{id, name, "", json::object{}, {}, std::move(children)};
      f.opts.job_id = id;
      return f;
    };
    std::vector<flow_job> trees;
    trees.push_back(node("r1", {node("a", {node("a1")}), node("b")}));
    trees.push_back(node("r2", {node("c")}));
    auto added = co_await flows.add_bulk(std::move(trees));
    DROVER_CO_ASSERT_TRUE(added.size() == 2);
    EXPECT_EQ(added[0].job.id, "r1");
    EXPECT_EQ(added[1].job.id, "r2");
    DROVER_CO_ASSERT_TRUE(added[0].children.size() == 2);
    EXPECT_EQ(added[0].children[0].children.at(0).job.id, "a1");
    // LPUSH order, newest first: b (level 1 of the first tree), c (level 1 of the
    // second), a1 (level 2). Depth first would have been c, b, a1.
    EXPECT_EQ(cli("LRANGE " + key("wait") + " 0 -1"), "a1\nc\nb");
    EXPECT_EQ(co_await parents.get_job_state("a"), job_state::waiting_children);
  });
}

TEST_F(flow_test, get_flow_reads_the_tree_to_a_depth_and_at_most_max_children_of_each_kind) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    flow_producer flows(io.get_executor(), fopts());
    flow_job grandchild{"leaf", children_name, "", json::object{{"n", 5}}, {}, {}};
    flow_job middle{"middle", children_name, "", json::object{{"n", 4}}, {}, {grandchild}};
    flow_job tree{"root", name, "", json::object{}, {}, {middle, child(children_name, 1), child(children_name, 2)}};
    tree.opts.job_id = "root-job";
    auto added = co_await flows.add(tree);
    EXPECT_EQ(added.job.id, "root-job");

    get_flow_options full_opts{"root-job", name, "", 10, 20};  // named: GCC 12 and co_await temporaries
    auto full = co_await flows.get_flow(full_opts);
    DROVER_CO_ASSERT_TRUE(full.has_value());
    EXPECT_EQ(full->children.size(), 3u);
    std::size_t grandchildren = 0;
    for (const auto& c : full->children) grandchildren += c.children.size();
    EXPECT_EQ(grandchildren, 1u);

    get_flow_options shallow_opts{"root-job", name, "", 2, 20};  // named: GCC 12 and co_await temporaries
    auto shallow = co_await flows.get_flow(shallow_opts);
    DROVER_CO_ASSERT_TRUE(shallow.has_value());
    EXPECT_EQ(shallow->children.size(), 3u);
    for (const auto& c : shallow->children) EXPECT_TRUE(c.children.empty());

    get_flow_options only_root_opts{"root-job", name, "", 1, 20};  // named: GCC 12 and co_await temporaries
    auto only_root = co_await flows.get_flow(only_root_opts);
    DROVER_CO_ASSERT_TRUE(only_root.has_value());
    EXPECT_TRUE(only_root->children.empty());

    get_flow_options missing_opts{"no-such-job", name, "", 10, 20};
    auto missing = co_await flows.get_flow(missing_opts);
    EXPECT_FALSE(missing.has_value());
    flows.close();
  });
}

TEST_F(flow_test, dependencies_come_in_pages_with_a_cursor) {
  with_flows([&](flow_producer& flows, queue& parents) -> net::awaitable<void> {
    flow_job tree{"parent", name, "", json::object{}, {}, {}};
    for (int i = 0; i < 5; ++i) tree.children.push_back(child(children_name, i));
    auto added = co_await flows.add(tree);
    dependencies_query q;
    q.unprocessed = dependencies_page{0, 100};
    auto all = co_await parents.get_dependencies(added.job.id, q);
    EXPECT_EQ(all.unprocessed.size(), 5u);
    EXPECT_EQ(all.next_unprocessed_cursor, 0);
    EXPECT_FALSE(all.next_processed_cursor.has_value());  // not asked for
    dependencies_query failed;
    failed.failed = dependencies_page{0, 2};
    auto none = co_await parents.get_dependencies(added.job.id, failed);
    EXPECT_TRUE(none.failed.empty());
    EXPECT_EQ(none.next_failed_cursor, 0);
  });
}

TEST_F(flow_test, fail_parent_on_failure_fails_the_parent_and_its_parent_in_turn) {
  with_flows([&](flow_producer& flows, queue& parents) -> net::awaitable<void> {
    auto bad = child(children_name, 1, true);
    set_on_child_failure(bad.opts, on_child_failure::fail_parent);
    flow_job middle{"middle", name, "", json::object{}, {}, {bad, child(children_name, 2)}};
    set_on_child_failure(middle.opts, on_child_failure::fail_parent);
    flow_job root{"root", name, "", json::object{}, {}, {middle}};
    auto added = co_await flows.add(root);
    EXPECT_EQ(added.children[0].children[0].job.opts.extra.at("failParentOnFailure"), true);
    workers running(*this);
    const auto& mid = added.children[0].job.id;
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, mid, job_state::failed); }));
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, added.job.id, job_state::failed); }));
    auto m = co_await parents.get_job(mid);
    DROVER_CO_ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->failed_reason, "child " + child_key(added.children[0].children[0].job.id) + " failed");
    auto deps = co_await parents.get_dependencies(mid);
    EXPECT_EQ(deps.failed, std::vector<std::string>{child_key(added.children[0].children[0].job.id)});
    auto counts = co_await parents.get_dependency_counts(mid);
    EXPECT_EQ(counts.failed, 1);
  });
}

TEST_F(flow_test, ignore_and_remove_dependency_on_failure_let_the_parent_complete) {
  with_flows([&](flow_producer& flows, queue& parents) -> net::awaitable<void> {
    auto ignored = child(children_name, 1, true);
    set_on_child_failure(ignored.opts, on_child_failure::ignore_dependency);
    auto removed = child(children_name, 2, true);
    set_on_child_failure(removed.opts, on_child_failure::remove_dependency);
    flow_job root{"root", name, "", json::object{}, {}, {ignored, removed, child(children_name, 3)}};
    auto added = co_await flows.add(root);
    workers running(*this);
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, added.job.id, job_state::completed); }));
    auto failures = co_await parents.get_ignored_children_failures(added.job.id);
    EXPECT_EQ(failures.size(), 1u);
    EXPECT_EQ(failures[child_key(added.children[0].job.id)], "child says no");
    EXPECT_EQ(co_await parents.get_failed_children_values(added.job.id), failures);
    auto counts = co_await parents.get_dependency_counts(added.job.id);
    EXPECT_EQ(counts.processed, 1);
    EXPECT_EQ(counts.ignored, 1);
    EXPECT_EQ(counts.unprocessed, 0);
    EXPECT_EQ(counts.failed, 0);
    auto done = co_await parents.get_job(added.job.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->returnvalue.at("ignored").as_object().size(), 1u);
  });
}

TEST_F(flow_test, continue_parent_on_failure_runs_the_parent_before_its_other_children_finish) {
  with_flows([&](flow_producer& flows, queue& parents) -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    queue children(ex, children_name, qopts());
    auto failing = child(children_name, 1, true);
    set_on_child_failure(failing.opts, on_child_failure::continue_parent);
    auto later = child(children_name, 2);
    later.opts.delay = 60000;  // still pending when the parent runs
    flow_job root{"root", name, "", json::object{}, {}, {failing, later}};
    auto added = co_await flows.add(root);
    workers running(*this);
    // It runs at once, but cannot complete while a child is pending: the attempt fails
    // ("has pending dependencies"), as Node's worker fails it.
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, added.job.id, job_state::failed); }));
    EXPECT_EQ(co_await children.get_job_state(added.children[1].job.id), job_state::delayed);
    auto ran = co_await parents.get_job(added.job.id);
    DROVER_CO_ASSERT_TRUE(ran.has_value());
    EXPECT_NE(ran->failed_reason.value_or("").find("pending dependencies"), std::string::npos);
    auto failures = co_await parents.get_ignored_children_failures(added.job.id);
    EXPECT_EQ(failures.size(), 1u);
    children.close();
  });
}

TEST_F(flow_test, a_missing_parent_named_by_the_root_is_refused) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    flow_producer flows(io.get_executor(), fopts());
    auto orphan = child(children_name, 1);
    set_parent(orphan.opts, parent_ref{"nobody", "bull:" + name});
    bool refused = false;
    try {
      co_await flows.add(orphan);
    } catch (const error& e) {
      refused = e.is(errc::parent_missing);
      EXPECT_EQ(std::string(e.what()), "Missing key for parent job bull:" + name + ":nobody. addJob");
    }
    EXPECT_TRUE(refused);
    // A plain add names the parent the same way, as Node's Queue.add does.
    queue plain(io.get_executor(), children_name, queue_options{"bull", redis()});
    auto orphan_opts = orphan.opts;
    std::string said;
    try {
      json::value nothing = json::object{};
      auto adding = plain.add("orphan", nothing, orphan_opts);  // named: GCC 12 and co_await temporaries
      co_await std::move(adding);
    } catch (const error& e) {
      said = e.what();
    }
    EXPECT_EQ(said, "Missing key for parent job bull:" + name + ":nobody. addJob");
    plain.close();
    flow_job dedup{"p", name, "", json::object{}, {}, {child(children_name, 1)}};
    dedup.opts.deduplication = json::object{{"id", "x"}};
    bool invalid = false;
    try {
      co_await flows.add(dedup);
    } catch (const error& e) {
      invalid = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(invalid);
    flows.close();
  });
}

TEST_F(flow_test, a_processor_adds_children_and_waits_for_them_then_completes) {
  std::atomic<int> parent_runs{0};
  auto proc = spawning_parent(parent_runs, {json::object{{"n", 1}, {"ms", 100}}, json::object{{"n", 2}, {"ms", 100}}});
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue parents(io.get_executor(), name, qopts());
    auto j = co_await parents.add("spawner", json::object{});
    test::worker_thread pw(name, proc, wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, j.id, job_state::waiting_children); }));
    test::worker_thread cw(children_name, child_processor(), wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, j.id, job_state::completed); }));
    auto done = co_await parents.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->returnvalue.at("children").as_object().size(), 2u);
    EXPECT_EQ(done->attempts_made, 1);  // waiting used no attempt
    parents.close();
  });
  EXPECT_EQ(parent_runs.load(), 2);
}

TEST_F(flow_test, a_processor_whose_children_already_finished_runs_again_at_once) {
  std::atomic<int> parent_runs{0};
  // It waits 500 ms after adding its child, which completes meanwhile.
  auto proc = spawning_parent(parent_runs, {json::object{{"n", 7}}}, 500);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue parents(io.get_executor(), name, qopts());
    test::worker_thread cw(children_name, child_processor(), wopts());
    auto j = co_await parents.add("spawner", json::object{});
    test::worker_thread pw(name, proc, wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(parents, j.id, job_state::completed); }));
    parents.close();
  });
  EXPECT_EQ(parent_runs.load(), 2);
}

}  // namespace
}  // namespace drover
