// move_to_active.cpp - see move_to_active.hpp.
#include "core/scripts/move_to_active.hpp"

#include "core/msgpack.hpp"
#include "drover/error.hpp"

namespace drover::detail::scripts {

fetched parse_fetch_reply(redis::reply& r) {
  if (!r.is_array() || r.elements.size() < 4) {
    throw error(errc::protocol_error, "moveToActive answered an unexpected reply");
  }
  fetched f;
  auto& fields = r.elements[0];
  if (fields.is_array() && !fields.elements.empty()) {
    std::vector<std::string> fv;
    fv.reserve(fields.elements.size());
    for (auto& e : fields.elements) fv.push_back(std::move(e.str));
    f.next = job::from_hash(r.elements[1].as_string(), fv);
    return f;
  }
  f.rate_limit_ttl_ms = r.elements[2].as_int().value_or(0);
  f.next_delayed_ms = r.elements[3].as_int().value_or(0);
  return f;
}

void pack_limiter(msgpack_writer& o, const rate_limiter_options& limiter) {
  o.str("limiter").map(2).str("max").integer(limiter.max).str("duration").integer(limiter.duration.count());
}

move_to_active move_to_active::of(const queue_keys& k, std::string token, const worker_options& opts,
                                  std::int64_t now) {
  return {k.wait,       k.active,  k.prioritized, k.events,         k.stalled,
          k.limiter,    k.delayed, k.paused,      k.meta,           k.pc,
          k.marker,     k.base(),  now,           std::move(token), opts.lock_duration.count(),
          opts.limiter, opts.name};
}

script_call move_to_active::pack() && {
  msgpack_writer o;
  std::uint32_t n = 2 + (limiter_opts ? 1 : 0) + (worker_name.empty() ? 0 : 1);
  o.map(n).str("token").str(token).str("lockDuration").integer(lock_duration_ms);
  if (limiter_opts) pack_limiter(o, *limiter_opts);
  if (!worker_name.empty()) o.str("name").str(worker_name);
  return {&lua::move_to_active,
          {std::move(wait), std::move(active), std::move(prioritized), std::move(events), std::move(stalled),
           std::move(limiter), std::move(delayed), std::move(paused), std::move(meta), std::move(pc), std::move(marker),
           std::move(prefix), std::to_string(timestamp), o.take()}};
}

}  // namespace drover::detail::scripts
