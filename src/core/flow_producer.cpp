// flow_producer.cpp - adds trees of jobs in one MULTI and reads them back (flow.hpp), as
// Node's FlowProducer and its Redis backend's addFlow do.
#include "drover/flow.hpp"

#include <fmt/format.h>

#include <deque>
#include <random>
#include <set>

#include "core/add_job.hpp"
#include "core/clock.hpp"
#include "core/dependency_reads.hpp"
#include "core/keys.hpp"
#include "core/queue_connection.hpp"
#include "core/replicated_add.hpp"
#include "core/script_errors.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/add_parent_job.hpp"
#include "core/scripts/release_parent.hpp"
#include "drover/error.hpp"
#include "redis/connection.hpp"
#include "redis/hash_slot.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover {

namespace scripts = detail::scripts;

struct flow_producer::impl {
  impl(net::any_io_executor ex, flow_producer_options o)
      : opts(std::move(o)), conn(redis::connection::create(std::move(ex), opts.redis)) {}
  flow_producer_options opts;
  std::shared_ptr<redis::connection> conn;
};

namespace {

// A random (version 4) UUID: a flow node's id when it has no jobId, as Node's randomUUID.
std::string random_uuid() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> dist;
  std::uint64_t hi = dist(gen), lo = dist(gen);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                     lo & 0xffffffffffffULL);
}

// Node's validateFlowJobs: ids of parents are chosen before any add runs, so a node with
// children cannot be deduplicated into another job.
void validate(const flow_job& node) {
  if (node.children.empty()) return;
  if (!node.opts.deduplication.empty()) {
    throw error(errc::invalid_argument, "Deduplication options cannot be used on flow nodes with children");
  }
  for (const auto& c : node.children) validate(c);
}

// The calls of one or more trees, in the order Node's FlowProducer collects them, and
// the parents to release after them.
struct flow_insert {
  explicit flow_insert(const redis_options& r) : where(r) {}
  const redis_options& where;
  std::vector<scripts::script_call> adds;
  std::vector<parent_ref> parents;  // unique by key, in order of first mention
  std::set<std::string> parent_keys;
  replication_options wanted;             // what the nodes' replication options ask of the WAIT
  std::optional<std::string> first_base;  // on a cluster: the queue whose slot every job must share

  // One MULTI runs on one node: on a cluster, every queue of the flow needs the same slot.
  void check_slot(const detail::queue_keys& keys) {
    if (where.cluster.seeds.empty()) return;
    detail::check_cluster_slot(where, keys);
    if (!first_base) first_base = keys.base();
    if (redis::fixed_slot(*first_base) == redis::fixed_slot(keys.base())) return;
    throw error(errc::invalid_argument,
                fmt::format("a flow on a Redis Cluster keeps all its jobs in one slot, but '{}*' and '{}*' are in "
                            "different ones: give every queue of the flow the same hash tag (a prefix such as "
                            "'{{bull}}' does it for all)",
                            *first_base, keys.base()));
  }

  // Packs every tree level by level across all of them: the roots, then their children
  // in the order of their parents, and so on. Node collects a flow in that order (each
  // node's children start together under Promise.all, one await after their parent), so
  // the jobs reach wait and the events stream in the order they reach them from Node.
  // Returns each tree's nodes with their jobs; the roots are the first adds.
  std::vector<flow_node> add(std::vector<flow_job> trees, const std::vector<std::optional<parent_ref>>& root_parents,
                             const std::string& default_prefix) {
    struct pending {
      flow_job job;
      std::optional<parent_ref> parent;
      flow_node* out;  // sized before any is queued: the pointers stay valid
    };
    std::vector<flow_node> roots(trees.size());
    std::deque<pending> level_order;
    for (std::size_t t = 0; t < trees.size(); ++t)
      level_order.push_back({std::move(trees[t]), root_parents[t], &roots[t]});
    while (!level_order.empty()) {
      auto next = std::move(level_order.front());
      level_order.pop_front();
      auto children = std::move(next.job.children);
      const parent_ref self = add_one(std::move(next.job), next.parent, default_prefix, !children.empty(), *next.out);
      next.out->children.resize(children.size());
      for (std::size_t c = 0; c < children.size(); ++c) {
        level_order.push_back({std::move(children[c]), self, &next.out->children[c]});
      }
    }
    return roots;
  }

  // Packs one node (a parent when it has children) under `parent` into `out`; returns
  // the node as its children's parent.
  parent_ref add_one(flow_job node, const std::optional<parent_ref>& parent, const std::string& default_prefix,
                     bool has_children, flow_node& out) {
    out.prefix = node.prefix.empty() ? default_prefix : node.prefix;
    out.queue = node.queue;
    detail::check_queue_name(node.queue);
    const detail::queue_keys keys(out.prefix, node.queue);
    check_slot(keys);
    // The id is chosen here, but stored in opts only when the caller gave it (as Node).
    const std::string id = node.opts.job_id.value_or(random_uuid());
    if (parent) {
      set_parent(node.opts, *parent);
    } else {
      node.opts.extra.erase("parent");
    }
    detail::require(wanted, node.opts.replication);
    auto checked = detail::check_add(keys, new_job{std::move(node.name), std::move(node.data), std::move(node.opts)});
    checked.args.custom_id = id;
    checked.args.defer_parent_release = true;
    checked.j.id = id;
    if (parent && parent_keys.insert(parent->key()).second) parents.push_back(*parent);
    const auto delay = checked.j.delay, priority = checked.j.priority;
    if (has_children) {
      adds.push_back(scripts::add_parent_job::of(keys, std::move(checked.args)).pack());
    } else {
      adds.push_back(scripts::pack_add(keys, std::move(checked.args), delay, priority));
    }
    out.job = std::move(checked.j);
    return parent_ref{id, keys.qualified()};
  }

  // Every script the transaction runs loaded first, then MULTI, the adds, the releases
  // and EXEC, as one pipeline: EVALSHA inside MULTI cannot load a missing script. WAIT
  // follows EXEC when a node asks for replicas (replicated_add.hpp).
  std::vector<redis::command> commands(std::int64_t now, std::chrono::milliseconds command_timeout) && {
    std::vector<scripts::script_call> calls = std::move(adds);
    for (auto& p : parents) {
      calls.push_back(scripts::release_parent{p.key(), p.key() + ":dependencies", p.queue, p.id, now}.pack());
    }
    std::vector<redis::command> cmds;
    // Where SCRIPT LOAD is refused (an ACL), each script goes whole inside the transaction.
    const bool whole = detail::script_load_refused();
    std::set<const detail::lua::script*> loaded;
    for (const auto& c : calls) {
      if (!whole && loaded.insert(c.script).second) cmds.push_back(redis::command{"SCRIPT", "LOAD", c.script->source});
    }
    cmds.push_back(redis::command{"MULTI"});
    for (const auto& c : calls) {
      auto call = detail::script_command(*c.script, c.args);
      cmds.push_back(whole ? detail::eval_command(*c.script, call) : std::move(call));
    }
    cmds.push_back(redis::command{"EXEC"});
    if (wanted.min_replicas > 0) cmds.push_back(detail::wait_command(wanted, command_timeout));
    return cmds;
  }
};

// Each reply before EXEC is SCRIPT LOAD's or QUEUED; EXEC's holds one answer per call.
// A call that could not be queued aborts the transaction (nothing written); a script
// that failed inside it fails the add (the others ran, as in Node). A refused SCRIPT
// LOAD is noted (the next flows send their scripts whole) and judged by EXEC's answers:
// a script Redis had cached ran all the same.
void check_transaction(const std::vector<redis::reply>& replies, std::size_t calls) {
  // The loads come first, then MULTI's OK, a QUEUED per call and EXEC's answer.
  const std::size_t loads = replies.size() >= calls + 2 ? replies.size() - calls - 2 : 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const auto& r = replies[i];
    if (!r.is_error() || (i < loads && detail::note_if_load_refused(r))) continue;
    throw detail::script_reply_error("flow add", r.str);
  }
  const auto& exec = replies.back();
  if (!exec.is_array() || exec.elements.size() != calls) {
    throw error(errc::protocol_error, "flow add: the transaction was not run");
  }
  for (const auto& r : exec.elements) {
    if (r.is_error()) throw detail::script_reply_error("flow add", r.str);
  }
}

}  // namespace

flow_job flow_job::from_json(const json::value& v) {
  if (!v.is_object()) throw error(errc::invalid_argument, "a flow job must be a JSON object");
  const auto& o = v.get_object();
  flow_job f;
  auto text = [&o](const char* name, bool required) -> std::string {
    const auto* s = o.if_contains(name);
    if (!s) {
      if (required) throw error(errc::invalid_argument, fmt::format("a flow job needs '{}'", name));
      return {};
    }
    if (!s->is_string()) throw error(errc::invalid_argument, fmt::format("flow job '{}' must be a string", name));
    return std::string(s->get_string());
  };
  f.name = text("name", true);
  f.queue = text("queueName", true);
  f.prefix = text("prefix", false);
  if (const auto* d = o.if_contains("data")) f.data = *d;
  if (const auto* opts = o.if_contains("opts")) f.opts = job_options::from_json(*opts);
  if (const auto* children = o.if_contains("children")) {
    if (!children->is_array()) throw error(errc::invalid_argument, "flow job 'children' must be an array");
    for (const auto& c : children->get_array()) f.children.push_back(from_json(c));
  }
  return f;
}

json::object flow_node::to_json() const {
  auto j = job.to_json();
  j["queueName"] = queue;
  j["prefix"] = prefix;
  json::object o{{"job", std::move(j)}};
  if (!children.empty()) {
    json::array c;
    for (const auto& child : children) c.push_back(child.to_json());
    o["children"] = std::move(c);
  }
  return o;
}

flow_producer::flow_producer(net::any_io_executor ex, flow_producer_options opts)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}
flow_producer::~flow_producer() {
  if (impl_) impl_->conn->close();
}
flow_producer::flow_producer(flow_producer&&) noexcept = default;
flow_producer& flow_producer::operator=(flow_producer&&) noexcept = default;
void flow_producer::close() { impl_->conn->close(); }

net::awaitable<flow_node> flow_producer::add(flow_job tree) {
  std::vector<flow_job> trees;
  trees.push_back(std::move(tree));
  auto added = co_await add_bulk(std::move(trees));
  co_return std::move(added.front());
}

net::awaitable<std::vector<flow_node>> flow_producer::add_bulk(std::vector<flow_job> trees) {
  for (const auto& t : trees) validate(t);
  flow_insert insert(impl_->opts.redis);
  std::vector<std::optional<parent_ref>> root_parent;
  for (const auto& t : trees) root_parent.push_back(parent_of(t.opts));
  // The roots are the first adds, tree t's the t-th.
  auto out = insert.add(std::move(trees), root_parent, impl_->opts.prefix);
  const std::size_t calls = insert.adds.size() + insert.parents.size();
  const auto wanted = insert.wanted;
  auto cmds = std::move(insert).commands(detail::now_ms(), impl_->conn->options().command_timeout);
  const auto wait_time = wanted.min_replicas > 0 ? wanted.timeout : std::chrono::milliseconds(0);
  auto replies = co_await impl_->conn->exec(std::move(cmds), wait_time);
  std::vector<redis::reply> waits;
  if (wanted.min_replicas > 0) {
    waits.push_back(std::move(replies.back()));
    replies.pop_back();
  }
  check_transaction(replies, calls);
  const auto& exec = replies.back();
  for (std::size_t t = 0; t < out.size(); ++t) {
    const auto& r = exec.elements[t];
    if (auto code = r.as_int(); r.is_integer() && code && *code < 0) {
      const std::string parent_key = root_parent[t] ? root_parent[t]->key() : std::string("(none)");
      const bool about_parent = *code == -5 || *code == -7;
      throw detail::script_code_error(*code, about_parent ? parent_key : out[t].job.id, "addJob");
    }
    // A custom id that already existed answers that id, as for a plain add.
    if (r.is_string()) out[t].job.id = r.str;
  }
  if (!waits.empty()) {
    const auto what = out.size() == 1
                          ? fmt::format("the flow under job {} of queue {}", out.front().job.id, out.front().queue)
                          : fmt::format("{} flows", out.size());
    detail::check_replicated(waits, wanted, what);
  }
  co_return out;
}

namespace {

net::awaitable<std::optional<flow_node>> read_node(redis::connection& conn, std::string prefix, std::string queue,
                                                   std::string id, int depth, int max_children) {
  const detail::queue_keys keys(prefix, queue);
  auto j = co_await detail::read_job(conn, keys, id);
  if (!j) co_return std::nullopt;
  flow_node node{std::move(*j), queue, prefix, {}};
  if (depth - 1 <= 0) co_return node;
  const dependencies_page page{0, max_children};
  dependencies_query q{page, page, page, page};
  auto deps = co_await detail::read_dependencies(conn, keys, id, q);
  // Node's order: processed, unprocessed, failed, ignored.
  std::vector<std::string> child_keys;
  for (const auto& [k, v] : deps.processed) child_keys.push_back(k);
  for (auto& k : deps.unprocessed) child_keys.push_back(std::move(k));
  for (auto& k : deps.failed) child_keys.push_back(std::move(k));
  for (const auto& [k, v] : deps.ignored) child_keys.push_back(k);
  for (const auto& key : child_keys) {
    auto ref = parent_ref::from_key(key);
    if (!ref) continue;
    const auto colon = ref->queue.rfind(':');
    std::string child_prefix = ref->queue.substr(0, colon), child_queue = ref->queue.substr(colon + 1);
    auto child = co_await read_node(conn, std::move(child_prefix), std::move(child_queue), std::move(ref->id),
                                    depth - 1, max_children);
    if (child) node.children.push_back(std::move(*child));
  }
  co_return node;
}

}  // namespace

net::awaitable<std::optional<flow_node>> flow_producer::get_flow(get_flow_options opts) {
  detail::check_queue_name(opts.queue);
  std::string prefix = opts.prefix.empty() ? impl_->opts.prefix : opts.prefix;
  co_return co_await read_node(*impl_->conn, std::move(prefix), std::move(opts.queue), std::move(opts.id), opts.depth,
                               opts.max_children);
}

}  // namespace drover
