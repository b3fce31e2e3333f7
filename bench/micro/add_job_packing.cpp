// add_job_packing.cpp - see add_job_packing.hpp.
#include "add_job_packing.hpp"

#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "core/msgpack.hpp"

namespace drover::micro {

packed_add pack_add(const detail::queue_keys& keys, new_job nj) {
  nj.opts.validate();
  std::string data = boost::json::serialize(nj.data);
  packed_add p;
  p.j.name = std::move(nj.name);
  p.j.data = std::move(nj.data);
  p.j.opts = std::move(nj.opts);
  p.j.timestamp = p.j.opts.timestamp.value_or(detail::now_ms());
  // ARGV[1]: [prefix, customId, name, timestamp, parentKey, parentDependenciesKey,
  // parent, repeatJobKey, deduplicationKey, deferParentRelease]
  detail::msgpack_writer packed;
  packed.array(10).str(keys.base()).str(p.j.opts.job_id.value_or("")).str(p.j.name).integer(p.j.timestamp);
  packed.nil().nil().nil().nil().nil().nil();
  detail::msgpack_writer packed_opts;
  packed_opts.json(p.j.opts.to_stored());
  // No delay, no priority: addStandardJob and its nine keys.
  p.script = &detail::lua::add_standard_job;
  p.args = {keys.wait,   keys.paused, keys.meta,   keys.id,    keys.completed,
            keys.delayed, keys.active, keys.events, keys.marker};
  p.args.push_back(packed.take());
  p.args.push_back(std::move(data));
  p.args.push_back(packed_opts.take());
  return p;
}

}  // namespace drover::micro
