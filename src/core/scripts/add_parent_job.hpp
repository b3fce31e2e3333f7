// add_parent_job.hpp - BullMQ's addParentJob: adds a job that waits for its children.
//
// Contract: as the other adds (scripts/add_job.hpp: custom id or the id counter, a
// duplicate custom id changes nothing, the "added" event), but the job goes to
// waiting-children, scored by its timestamp, with a "waiting-children" event; when it
// is itself a child, its key joins its parent's dependencies. FlowProducer adds every
// node that has children this way, before its children.
// KEYS (6): meta, id, delayed, waiting-children, completed, events.
// ARGV (3): the msgpacked add arguments (add_job_args), the data (JSON), the msgpacked
// stored options. Returns the job id, or -5 when the parent is missing.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/add_job.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct add_parent_job {
  // KEYS
  std::string meta, id, delayed, waiting_children, completed, events;
  add_job_args args;

  static add_parent_job of(const queue_keys& k, add_job_args args) {
    return {k.meta, k.id, k.delayed, k.waiting_children, k.completed, k.events, std::move(args)};
  }
  script_call pack() && {
    script_call call{&lua::add_parent_job,
                     {std::move(meta), std::move(id), std::move(delayed), std::move(waiting_children),
                      std::move(completed), std::move(events)}};
    std::move(args).append_to(call.args);
    return call;
  }
};

}  // namespace drover::detail::scripts
