// extend_locks.cpp - see extend_locks.hpp.
#include "core/scripts/extend_locks.hpp"

#include "core/msgpack.hpp"

namespace drover::detail::scripts {

namespace {

std::string packed(const std::vector<std::string>& list) {
  msgpack_writer w;
  w.array(static_cast<std::uint32_t>(list.size()));
  for (const auto& s : list) w.str(s);
  return w.take();
}

}  // namespace

script_call extend_locks::pack() && {
  return {&lua::extend_locks,
          {std::move(stalled), std::move(prefix), packed(tokens), packed(job_ids), std::to_string(lock_duration_ms)}};
}

}  // namespace drover::detail::scripts
