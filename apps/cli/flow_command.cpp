// flow_command.cpp - `drover flow add|show`: add a tree of jobs across queues (Node's
// FlowProducer.add) and show the tree under a job with each job's state and what its
// parent still waits for (FlowProducer.getFlow). Exit codes: 0 done, 3 no such job.
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover/flow.hpp>
#include <drover/queue.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "flag_checks.hpp"
#include "text_table.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

struct flow_flags {
  common_options common;
  std::string tree;  // add: the tree as JSON
  std::string file;  // add: or a file holding it
  std::string id;    // show: the job at the top
  int depth = 10;
  int max_children = 20;
  bool json = false;
  replication_flags replication;  // add: asked of the whole tree's transaction
};

void add_flow_add_options(CLI::App& s, flow_flags& f) {
  add_common(&s, f.common, false);
  auto* tree = s.add_option("--tree", f.tree,
                            "the tree as JSON, Node's FlowJob: {name, queueName, data, opts, children: [...]}; a node "
                            "without queueName goes to --queue");
  auto* file = s.add_option("--file", f.file, "a file holding the tree (instead of --tree)");
  s.add_flag("--json", f.json, "accepted for scripts: the added tree is printed as JSON anyway");
  add_replication_flags(&s, f.replication);
  s.callback([tree, file] {
    if (!tree->count() && !file->count()) throw CLI::RequiredError("--tree or --file");
  });
}

void add_flow_show_options(CLI::App& s, flow_flags& f) {
  add_common(&s, f.common);
  s.add_option("--id", f.id, "the job at the top of the tree")->required()->check(non_empty());
  s.add_option("--depth", f.depth, "levels to read, the job's own included")
      ->capture_default_str()
      ->check(positive<int>());
  s.add_option("--max-children", f.max_children, "children of each kind to read per parent")
      ->capture_default_str()
      ->check(positive<int>());
  add_json_flag(&s, f.json);
}

flow_producer_options producer_opts(const common_options& c) {
  auto q = queue_opts(c);
  return flow_producer_options{q.prefix, q.redis};
}

// Fills queueName where the tree leaves it out, or says where to give it.
void default_queue(json::value& node, const std::string& queue) {
  if (!node.is_object()) return;
  auto& o = node.get_object();
  if (!o.contains("queueName")) {
    if (queue.empty()) {
      throw error(errc::invalid_argument,
                  "a job of the flow has no queueName: give it in the tree or name the queue with --queue");
    }
    o["queueName"] = queue;
  }
  if (auto* children = o.if_contains("children"); children && children->is_array()) {
    for (auto& c : children->get_array()) default_queue(c, queue);
  }
}

int run_flow_add(const flow_flags& c) {
  std::string text = c.tree;
  if (!c.file.empty()) {
    std::ifstream in(c.file);
    if (!in) throw error(errc::invalid_argument, "cannot read --file " + c.file);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.empty()) throw error(errc::invalid_argument, "flow add needs --tree or --file");
  auto v = parse_json(text, c.file.empty() ? "--tree" : "--file");
  default_queue(v, c.common.queue);
  auto tree = flow_job::from_json(v);
  c.replication.apply_to(tree.opts);  // one WAIT covers the whole transaction
  net::io_context io;
  flow_producer flows(io.get_executor(), producer_opts(c.common));
  run_to_end(io, [&]() -> net::awaitable<void> {
    auto added = co_await flows.add(std::move(tree));
    std::cout << drover::serialize_json(added.to_json()) << std::endl;
  });
  return 0;
}

// One line per job, indented by level: state, queue/id, name, and for a parent what its
// children are doing.
struct tree_printer {
  std::map<std::string, queue>& queues;
  net::io_context& io;
  const common_options& common;

  queue& queue_of(const flow_node& n) {
    auto it = queues.find(n.prefix + ":" + n.queue);
    if (it == queues.end()) {
      auto o = queue_opts(common);
      o.prefix = n.prefix;
      it = queues.emplace(n.prefix + ":" + n.queue, queue(io.get_executor(), n.queue, o)).first;
    }
    return it->second;
  }

  net::awaitable<void> print(const flow_node& n, int level) {
    auto& q = queue_of(n);
    auto state = co_await q.get_job_state(n.job.id);
    std::string waits;
    if (state == job_state::waiting_children || !n.children.empty()) {
      auto counts = co_await q.get_dependency_counts(n.job.id);
      waits = fmt::format("  (children: {} pending, {} processed, {} failed, {} ignored)", counts.unprocessed,
                          counts.processed, counts.failed, counts.ignored);
    }
    // Names and ids are any producer's: through terminal_safe, as every other view.
    std::cout << fmt::format("{:{}}{:<16} {}/{}  {}{}", "", level * 2, to_string(state), terminal_safe(n.queue),
                             terminal_safe(n.job.id), terminal_safe(n.job.name), waits)
              << "\n";
    for (const auto& c : n.children) co_await print(c, level + 1);
  }
};

int run_flow_show(const flow_flags& c) {
  net::io_context io;
  flow_producer flows(io.get_executor(), producer_opts(c.common));
  std::map<std::string, queue> queues;
  int rc = 0;
  run_to_end(io, [&]() -> net::awaitable<void> {
    get_flow_options o{c.id, c.common.queue, c.common.prefix, c.depth, c.max_children};
    auto tree = co_await flows.get_flow(o);
    if (!tree) {
      // As `drover queue job`: a missing one prints nothing on stdout, only the exit code and why.
      rc = job_not_found(c.id, c.common.queue);
      co_return;
    }
    if (c.json) {
      std::cout << drover::serialize_json(tree->to_json()) << std::endl;
      co_return;
    }
    tree_printer printer{queues, io, c.common};
    co_await printer.print(*tree, 0);
    std::cout << std::flush;
  });
  for (auto& [k, q] : queues) q.close();
  return rc;
}

}  // namespace

std::vector<command> flow_commands() {
  std::vector<command> all;
  all.push_back(command_group("flow", "add a tree of jobs across queues, or show the tree under a job"));
  all.push_back(make_command<flow_flags>("flow add", "add a tree of jobs (parents run after their children)",
                                         add_flow_add_options, run_flow_add));
  all.push_back(make_command<flow_flags>("flow show", "show the tree under a job: states and pending children",
                                         add_flow_show_options, run_flow_show));
  return all;
}

}  // namespace drover::cli
