// add_job.cpp - see add_job.hpp.
#include "core/add_job.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/lua_json.hpp"
#include "core/msgpack.hpp"
#include "drover/error.hpp"
#include "drover/job_dependencies.hpp"
#include "drover/json.hpp"

namespace json = boost::json;

namespace drover::detail {

namespace {

// What the job hash keeps as "parent": {id, queueKey} and the on-failure flag, as Node's
// Job constructor builds it.
json::object stored_parent(const parent_ref& p, const job_options& opts) {
  json::object o{{"id", p.id}, {"queueKey", p.queue}};
  static constexpr std::pair<const char*, const char*> flags[] = {{"failParentOnFailure", "fpof"},
                                                                  {"removeDependencyOnFailure", "rdof"},
                                                                  {"ignoreDependencyOnFailure", "idof"},
                                                                  {"continueParentOnFailure", "cpof"}};
  for (const auto& [name, short_name] : flags) {
    const auto* v = opts.extra.if_contains(name);
    if (v && v->is_bool() && v->get_bool()) o[short_name] = true;
  }
  return o;
}

}  // namespace

checked_add check_add(const queue_keys& keys, new_job nj) {
  nj.opts.validate();
  std::string data = drover::serialize_json(nj.data);
  // sizeLimit 0 is no limit, as in Node (`if (this.opts.sizeLimit && ...)`).
  if (nj.opts.size_limit.value_or(0) != 0 && static_cast<std::int64_t>(data.size()) > *nj.opts.size_limit) {
    throw error(errc::invalid_argument,
                fmt::format("The size of job {} exceeds the limit {} bytes", nj.name, *nj.opts.size_limit));
  }
  job j;
  j.name = std::move(nj.name);
  j.data = std::move(nj.data);
  j.opts = std::move(nj.opts);
  // As Node's Job: a timestamp of 0 (falsy) is "now", not 1970 (a delayed job would be due).
  j.timestamp = j.opts.timestamp.value_or(0) != 0 ? *j.opts.timestamp : now_ms();
  j.delay = j.opts.delay.value_or(0);
  j.priority = j.opts.priority.value_or(0);
  if (!j.opts.deduplication.empty()) j.deduplication_id = std::string(j.opts.deduplication.at("id").as_string());

  scripts::add_job_args args;
  args.prefix = keys.base();
  args.custom_id = j.opts.job_id.value_or("");
  args.name = j.name;
  args.timestamp = j.timestamp;
  if (j.deduplication_id) args.deduplication_key = keys.key("de:" + *j.deduplication_id);
  args.data = std::move(data);
  // As Node's Job takes it: repeatJobKey is not an option the job keeps but its hash's
  // "rjk" field, by which BullMQ's scripts know a scheduler's job.
  if (const auto* rjk = j.opts.extra.if_contains("repeatJobKey")) {
    if (rjk->is_string()) {
      args.repeat_job_key = std::string(rjk->get_string());
      j.repeat_job_key = args.repeat_job_key;
    }
    j.opts.extra.erase("repeatJobKey");
  }
  const auto stored = j.opts.to_stored();
  msgpack_writer packed_opts;
  packed_opts.json(stored);
  args.opts = packed_opts.take();
  args.opts_json = cjson_text(stored);
  args.lifo = j.opts.lifo.value_or(false);
  if (auto parent = parent_of(j.opts)) {
    args.parent_key = parent->key();
    args.parent_dependencies_key = parent->key() + ":dependencies";
    args.parent = stored_parent(*parent, j.opts);
    j.parent_key = args.parent_key;
    j.parent = args.parent;
  }
  return checked_add{std::move(j), std::move(args)};
}

prepared_add prepare_add(const queue_keys& keys, new_job nj, scripts::standard_add standard) {
  auto c = check_add(keys, std::move(nj));
  const auto delay = c.j.delay, priority = c.j.priority;
  return prepared_add{std::move(c.j), scripts::pack_add(keys, std::move(c.args), delay, priority, standard)};
}

void take_id(prepared_add& p, const redis::reply& r) {
  // A refusal about the parent names the parent, as Node's message does.
  const auto named = p.j.parent_key ? *p.j.parent_key : p.j.opts.job_id.value_or("");
  p.j.id = scripts::parse_added_id(r, *p.call.script, named);
}

}  // namespace drover::detail
