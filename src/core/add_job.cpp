// add_job.cpp - see add_job.hpp.
#include "core/add_job.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/msgpack.hpp"
#include "core/script_errors.hpp"
#include "drover/error.hpp"

namespace json = boost::json;

namespace drover::detail {

prepared_add prepare_add(const queue_keys& keys, new_job nj) {
  nj.opts.validate();
  std::string data = json::serialize(nj.data);
  if (nj.opts.size_limit && static_cast<std::int64_t>(data.size()) > *nj.opts.size_limit) {
    throw error(errc::invalid_argument,
                fmt::format("The size of job {} exceeds the limit {} bytes", nj.name, *nj.opts.size_limit));
  }
  job j;
  j.name = std::move(nj.name);
  j.data = std::move(nj.data);
  j.opts = std::move(nj.opts);
  j.timestamp = j.opts.timestamp.value_or(now_ms());
  j.delay = j.opts.delay.value_or(0);
  j.priority = j.opts.priority.value_or(0);
  if (!j.opts.deduplication.empty()) j.deduplication_id = std::string(j.opts.deduplication.at("id").as_string());

  msgpack_writer args;
  args.array(10).str(keys.base()).str(j.opts.job_id.value_or("")).str(j.name).integer(j.timestamp);
  args.nil().nil().nil().nil();
  if (j.deduplication_id) {
    args.str(keys.key("de:" + *j.deduplication_id));
  } else {
    args.nil();
  }
  args.nil();
  msgpack_writer packed_opts;
  packed_opts.json(j.opts.to_stored());

  prepared_add p{std::move(j), nullptr, {}};
  if (p.j.delay > 0) {
    p.script = &lua::add_delayed_job;
    p.args = {keys.marker, keys.meta, keys.id, keys.delayed, keys.completed, keys.events};
  } else if (p.j.priority > 0) {
    p.script = &lua::add_prioritized_job;
    p.args = {keys.marker, keys.meta,   keys.id, keys.prioritized, keys.delayed,
              keys.completed, keys.active, keys.events, keys.pc};
  } else {
    p.script = &lua::add_standard_job;
    p.args = {keys.wait,   keys.paused, keys.meta,   keys.id,    keys.completed,
              keys.delayed, keys.active, keys.events, keys.marker};
  }
  p.args.push_back(args.take());
  p.args.push_back(std::move(data));
  p.args.push_back(packed_opts.take());
  return p;
}

void take_id(prepared_add& p, const redis::reply& r) {
  if (r.is_error()) throw error(errc::script_error, fmt::format("script {} failed: {}", p.script->name, r.str));
  if (auto code = r.as_int(); code && *code < 0 && r.is_integer()) {
    throw script_code_error(*code, p.j.opts.job_id.value_or(""), "addJob");
  }
  p.j.id = r.as_string();
  if (p.j.id.empty()) throw error(errc::protocol_error, "addJob answered no job id");
}

}  // namespace drover::detail
