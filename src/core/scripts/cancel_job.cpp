// cancel_job.cpp - see cancel_job.hpp.
#include "core/scripts/cancel_job.hpp"

#include <fmt/format.h>

#include "drover/error.hpp"

namespace drover::detail::scripts {

cancel_job::result cancel_job::parse(const redis::reply& r) const {
  auto code = r.as_int();
  if (!code) throw error(errc::protocol_error, fmt::format("cancelJob answered no number for job {}", job_id));
  switch (*code) {
    case -1:
      return result::not_found;
    case 1:
      return result::finished;
    case 2:
      return result::locked;
    default:
      return result::unlocked;
  }
}

}  // namespace drover::detail::scripts
