// job_dependencies.hpp - a parent job's children as BullMQ records them (flows): the
// link from a child to its parent, and what a parent knows of its children.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drover/job_options.hpp"

namespace drover {

// A parent job, as a child names it (BullMQ's opts.parent).
struct parent_ref {
  std::string id{};
  std::string queue{};  // the parent's queue qualified by its prefix: "<prefix>:<name>"

  // The parent's job key ("<prefix>:<name>:<id>"): how its children name it, and how
  // dependencies name children.
  std::string key() const { return queue + ":" + id; }
  // Reads "<prefix>:<name>:<id>" (a key in get_dependencies' lists) from the end, as
  // Node does: the id holds no ':'. std::nullopt for a key of another shape.
  static std::optional<parent_ref> from_key(const std::string& job_key);
};

// What a child's failure does to its parent (one at most; BullMQ's names):
enum class on_child_failure {
  wait,               // none set: the parent waits for ever (until the child is retried)
  fail_parent,        // failParentOnFailure: the parent fails ("child <key> failed")
  continue_parent,    // continueParentOnFailure: the parent runs at once, the failure ignored
  ignore_dependency,  // ignoreDependencyOnFailure: the failure is recorded, the parent goes on
  remove_dependency,  // removeDependencyOnFailure: the child is forgotten, the parent goes on
};

// Makes `opts` a child of `parent` (stored as BullMQ's opts.parent {id, queue}).
void set_parent(job_options& opts, const parent_ref& parent);
// The parent set in `opts`, if any.
std::optional<parent_ref> parent_of(const job_options& opts);
// Sets the on-failure option (and clears the other three: BullMQ refuses two together).
void set_on_child_failure(job_options& opts, on_child_failure what);

// How many children a parent has where (Node's getDependenciesCount).
struct dependency_counts {
  std::int64_t processed = 0;    // completed; their return values are kept
  std::int64_t unprocessed = 0;  // pending
  std::int64_t ignored = 0;      // failed, ignored (ignoreDependencyOnFailure, continueParentOnFailure)
  std::int64_t failed = 0;       // failed under failParentOnFailure
  boost::json::object to_json() const;
};

// One page of one kind of dependency: from `cursor` (0: the start), about `count` of them.
struct dependencies_page {
  std::int64_t cursor = 0;
  std::int64_t count = 20;
};

// Which dependencies get_dependencies reads, a page each; none set: all of every kind.
struct dependencies_query {
  std::optional<dependencies_page> processed{}, unprocessed{}, ignored{}, failed{};
};

// A parent's children by kind, named by their job keys ("<prefix>:<queue>:<id>"), as
// Node's getDependencies answers. With a query, only the kinds asked for are filled, and
// each has the cursor of its next page (0: that was the last).
struct job_dependencies {
  std::map<std::string, boost::json::value> processed{};  // child key -> return value
  std::vector<std::string> unprocessed{};
  std::map<std::string, std::string> ignored{};  // child key -> failed reason
  std::vector<std::string> failed{};
  std::optional<std::int64_t> next_processed_cursor{}, next_unprocessed_cursor{}, next_ignored_cursor{},
      next_failed_cursor{};
  // Node's shape: {processed, unprocessed, ignored, failed, nextProcessedCursor, ...}.
  boost::json::object to_json() const;
};

}  // namespace drover
