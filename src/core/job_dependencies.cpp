// job_dependencies.cpp - the parent link in job options and the shapes of a parent's
// children (job_dependencies.hpp).
#include "drover/job_dependencies.hpp"

#include "core/js_number.hpp"

#include <array>

namespace json = boost::json;

namespace drover {

namespace {

// BullMQ's public names of the four on-failure options, in on_child_failure's order
// after `wait`.
constexpr std::array failure_options{"failParentOnFailure", "continueParentOnFailure", "ignoreDependencyOnFailure",
                                     "removeDependencyOnFailure"};

}  // namespace

std::optional<parent_ref> parent_ref::from_key(const std::string& job_key) {
  // Read from the end, as Node's parseNodeKey does: the id is after the last ':', the
  // queue name (which holds no ':') before it, and the prefix is the rest.
  auto last = job_key.rfind(':');
  if (last == std::string::npos || last == 0 || last + 1 == job_key.size()) return std::nullopt;
  if (job_key.rfind(':', last - 1) == std::string::npos) return std::nullopt;
  return parent_ref{job_key.substr(last + 1), job_key.substr(0, last)};
}

void set_parent(job_options& opts, const parent_ref& parent) {
  opts.extra["parent"] = json::object{{"id", parent.id}, {"queue", parent.queue}};
}

std::optional<parent_ref> parent_of(const job_options& opts) {
  const auto* p = opts.extra.if_contains("parent");
  if (!p || !p->is_object()) return std::nullopt;
  const auto* id = p->get_object().if_contains("id");
  const auto* queue = p->get_object().if_contains("queue");
  if (!id || !queue || !queue->is_string()) return std::nullopt;
  // An integer id names the job "<n>", as in Node: the rule job_options::validate checks.
  if (id->is_string()) return parent_ref{std::string(id->get_string()), std::string(queue->get_string())};
  if (const auto n = as_exact_integer(*id)) return parent_ref{std::to_string(*n), std::string(queue->get_string())};
  return std::nullopt;
}

void set_on_child_failure(job_options& opts, on_child_failure what) {
  for (const char* name : failure_options) opts.extra.erase(name);
  if (what == on_child_failure::wait) return;
  opts.extra[failure_options[static_cast<std::size_t>(what) - 1]] = true;
}

json::object dependency_counts::to_json() const {
  return {{"processed", processed}, {"unprocessed", unprocessed}, {"ignored", ignored}, {"failed", failed}};
}

json::object job_dependencies::to_json() const {
  json::object o;
  json::object p;
  for (const auto& [k, v] : processed) p[k] = v;
  o["processed"] = std::move(p);
  o["unprocessed"] = json::array(unprocessed.begin(), unprocessed.end());
  json::object i;
  for (const auto& [k, v] : ignored) i[k] = v;
  o["ignored"] = std::move(i);
  o["failed"] = json::array(failed.begin(), failed.end());
  if (next_processed_cursor) o["nextProcessedCursor"] = *next_processed_cursor;
  if (next_unprocessed_cursor) o["nextUnprocessedCursor"] = *next_unprocessed_cursor;
  if (next_ignored_cursor) o["nextIgnoredCursor"] = *next_ignored_cursor;
  if (next_failed_cursor) o["nextFailedCursor"] = *next_failed_cursor;
  return o;
}

}  // namespace drover
