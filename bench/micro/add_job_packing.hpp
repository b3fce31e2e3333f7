// add_job_packing.hpp - the client side of queue::add for one job, step by step as
// prepare_add in src/core/queue.cpp does it (that function is private to queue.cpp).
// Keep the two in step: this is what the add benchmarks measure.
#pragma once

#include "core/keys.hpp"
#include "core/lua_scripts.hpp"
#include "core/script_runner.hpp"
#include "drover/queue.hpp"

namespace drover::micro {

struct packed_add {
  job j;
  const detail::lua::script* script = nullptr;
  detail::script_args args;
};

packed_add pack_add(const detail::queue_keys& keys, new_job nj);

}  // namespace drover::micro
