// add_args.hpp - the job the add tests of src/core/scripts/ pack: a plain "send" job on
// the packing tests' queue (packing.hpp), at a timestamp of the test's choosing.
#pragma once

#include <cstdint>

#include "core/scripts/add_job.hpp"

namespace drover::detail::scripts::test {

inline add_job_args an_add(std::int64_t timestamp) {
  add_job_args a;
  a.prefix = "bull:q:";
  a.name = "send";
  a.timestamp = timestamp;
  a.data = R"({"x":1})";
  a.opts = "<opts>";
  return a;
}

}  // namespace drover::detail::scripts::test
