// flow.hpp - flows: trees of jobs across queues, where a parent runs once its children
// have finished (BullMQ's FlowProducer, laid out as BullMQ 6.7.0 lays it out).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drover/job.hpp"
#include "drover/job_dependencies.hpp"
#include "drover/job_options.hpp"
#include "drover/redis_options.hpp"
#include "drover/worker.hpp"

namespace drover {

// One node of a tree to add: a job, its queue and its children (Node's FlowJob).
struct flow_job {
  std::string name{};
  std::string queue{};   // the queue's name
  std::string prefix{};  // empty: the producer's
  boost::json::value data = boost::json::object();
  job_options opts{};  // opts.parent only on the root: it then joins an existing parent
  std::vector<flow_job> children{};

  // Reads Node's shape: {name, queueName, data?, opts?, prefix?, children?}, the options
  // with BullMQ's public names (job_options::from_json). Throws drover::error(invalid_argument).
  static flow_job from_json(const boost::json::value& v);
};

// A job of a tree and its children, as added or as read back (Node's JobNode).
struct flow_node {
  drover::job job{};
  std::string queue{};  // the queue's name
  std::string prefix{};
  std::vector<flow_node> children{};  // only down to get_flow's depth, max_children per kind

  // {job: <job.to_json() with queueName and prefix>, children?: [...]}.
  boost::json::object to_json() const;
};

// The running job of a processor as a parent: what its children's opts.parent names
// (set_parent) before the processor throws wait_for_children.
inline parent_ref as_parent(const job_context& ctx) { return {ctx.job().id, ctx.queue_key()}; }

struct flow_producer_options {
  std::string prefix = "bull";
  redis_options redis = redis_options::from_env();
};

// What get_flow reads: the job `id` of `queue`, and its children down to `depth` levels
// (the job itself is level 1), at most `max_children` of each kind per parent.
struct get_flow_options {
  std::string id{};
  std::string queue{};
  std::string prefix{};  // empty: the producer's
  int depth = 10;
  int max_children = 20;
};

// Adds trees of jobs in one transaction, and reads them back.
//
// A tree is added as Node's FlowProducer adds it: every node without a jobId gets a
// random UUID, a node with children goes to its queue's waiting-children
// (addParentJob) before its children, each child records its parent (parentKey,
// parent), and its key joins the parent's dependencies; all in one MULTI, after which
// each parent whose children were all found finished (custom ids of finished jobs)
// is released. A parent's queue moves it to wait when its last child completes; what a
// child's failure does is the child's on_child_failure option.
//
// Thread safety: none. Use it from coroutines on the executor it was made with, one
// handler at a time (a strand when several threads run the io_context: see queue.hpp).
class flow_producer {
 public:
  flow_producer(boost::asio::any_io_executor ex, flow_producer_options opts = {});
  ~flow_producer();
  flow_producer(flow_producer&&) noexcept;
  flow_producer& operator=(flow_producer&&) noexcept;

  // Adds the tree; returns it with every job's id. Throws drover::error:
  // invalid_argument (bad options or names; nothing written), parent_missing (the
  // root's opts.parent does not exist), not_replicated (a node's opts.replication asked
  // for more replicas than confirmed the transaction in time; the tree may still exist
  // on the master), or a Redis failure.
  boost::asio::awaitable<flow_node> add(flow_job tree);
  // Adds several trees in the same transaction.
  boost::asio::awaitable<std::vector<flow_node>> add_bulk(std::vector<flow_job> trees);
  // The tree under a job; std::nullopt when it does not exist. Children that no longer
  // exist are left out.
  boost::asio::awaitable<std::optional<flow_node>> get_flow(get_flow_options opts);

  // Closes the connection; later calls fail with errc::closed.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace drover
