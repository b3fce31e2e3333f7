// add_job.hpp - the client side of adding one job: its checks, the job as stored, and the
// add script packed for it (scripts/add_job.hpp). queue::add and add_bulk send it; the
// micro-benchmarks time it without Redis.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/add_job.hpp"
#include "drover/queue.hpp"
#include "redis/reply.hpp"

namespace drover::detail {

struct prepared_add {
  job j;
  scripts::script_call call;
};

// A job checked and ready to add, with the add's arguments; the script is still to be
// chosen (prepare_add below, or a flow's addParentJob). A job whose options name a
// parent (opts.parent) gets the link to it: its parentKey and parent as BullMQ stores
// them, and its key joins the parent's dependencies when it is added. Throws as
// prepare_add.
struct checked_add {
  job j;
  scripts::add_job_args args;
};
checked_add check_add(const queue_keys& keys, new_job nj);

// Packs an add the way Node's addJob does: the script is chosen by delay and
// priority (scripts::pack_add); a standard add calls BullMQ's script or drover's lean
// one (queue::add and add_bulk send the lean one). Throws error(invalid_argument) for
// options that fail validation or data over the job's size limit.
prepared_add prepare_add(const queue_keys& keys, new_job nj,
                         scripts::standard_add standard = scripts::standard_add::bullmq);

// Takes the new job's id from the script's reply into p.j; throws on an error reply.
void take_id(prepared_add& p, const redis::reply& r);

}  // namespace drover::detail
