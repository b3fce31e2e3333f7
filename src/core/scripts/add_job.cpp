// add_job.cpp (scripts) - see add_job.hpp.
#include "core/scripts/add_job.hpp"

#include <fmt/format.h>

#include "core/msgpack.hpp"
#include "core/scripts/add_standard_job_lean.hpp"
#include "core/script_errors.hpp"
#include "drover/error.hpp"

namespace drover::detail::scripts {

void add_job_args::append_to(script_args& out) && {
  msgpack_writer packed;
  packed.array(10).str(prefix).str(custom_id).str(name).integer(timestamp);
  auto str_or_nil = [&packed](const std::optional<std::string>& s) {
    if (s) {
      packed.str(*s);
    } else {
      packed.nil();
    }
  };
  str_or_nil(parent_key);
  str_or_nil(parent_dependencies_key);
  if (parent_key) {
    packed.json(parent);
  } else {
    packed.nil();
  }
  str_or_nil(repeat_job_key);
  str_or_nil(deduplication_key);
  if (defer_parent_release) {
    packed.integer(1);
  } else {
    packed.nil();
  }
  out.push_back(packed.take());
  out.push_back(std::move(data));
  out.push_back(std::move(opts));
}

script_call add_standard_job::pack() && {
  script_call call{&lua::add_standard_job,
                   {std::move(wait), std::move(paused), std::move(meta), std::move(id), std::move(completed),
                    std::move(delayed), std::move(active), std::move(events), std::move(marker)}};
  std::move(args).append_to(call.args);
  return call;
}

script_call add_prioritized_job::pack() && {
  script_call call{&lua::add_prioritized_job,
                   {std::move(marker), std::move(meta), std::move(id), std::move(prioritized), std::move(delayed),
                    std::move(completed), std::move(active), std::move(events), std::move(pc)}};
  std::move(args).append_to(call.args);
  return call;
}

script_call add_delayed_job::pack() && {
  script_call call{
      &lua::add_delayed_job,
      {std::move(marker), std::move(meta), std::move(id), std::move(delayed), std::move(completed), std::move(events)}};
  std::move(args).append_to(call.args);
  return call;
}

script_call pack_add(const queue_keys& k, add_job_args args, std::int64_t delay, std::int64_t priority,
                     standard_add standard) {
  if (delay > 0) return add_delayed_job::of(k, std::move(args)).pack();
  if (priority > 0) return add_prioritized_job::of(k, std::move(args)).pack();
  if (standard == standard_add::lean) {
    return add_standard_job_lean::of(k, std::move(args), delay == 0 && priority == 0).pack();
  }
  return add_standard_job::of(k, std::move(args)).pack();
}

std::string parse_added_id(const redis::reply& r, const lua::script& s, std::string_view custom_id) {
  if (r.is_error()) throw script_reply_error(s.name, r.str);
  if (auto code = r.as_int(); code && *code < 0 && r.is_integer()) throw script_code_error(*code, custom_id, "addJob");
  auto id = r.as_string();
  if (id.empty()) throw error(errc::protocol_error, "addJob answered no job id");
  return id;
}

}  // namespace drover::detail::scripts
