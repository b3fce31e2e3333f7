// add_standard_job_lean.hpp - drover's addStandardJobLean (src/lua/addStandardJobLean-9.lua):
// a standard add that, in the common case, writes what BullMQ's addStandardJob writes
// without unpacking its msgpacked arguments or encoding the options in Lua, and calls
// BullMQ's script, unchanged and inside the same call, for everything else.
//
// KEYS (9): addStandardJob's. ARGV (9): addStandardJob's three (add_job.hpp), then the
// stored options' JSON as cjson writes it ("" when the add is not common: a parent, a
// deduplication key, a delay or priority other than 0, or options drover cannot encode
// as cjson does), the key prefix, the custom id or "", the name, the timestamp and "1"
// for lifo ("0" otherwise). Replies as addStandardJob.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/add_job.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct add_standard_job_lean {
  add_standard_job standard;  // BullMQ's keys and arguments: the fallback's
  bool common = false;        // the producer's half of the common case (see above)

  // zero_delay_and_priority: the stored delay and priority are 0 or absent, which the
  // lean add writes as "0".
  static add_standard_job_lean of(const queue_keys& k, add_job_args args, bool zero_delay_and_priority);
  script_call pack() &&;
};

}  // namespace drover::detail::scripts
