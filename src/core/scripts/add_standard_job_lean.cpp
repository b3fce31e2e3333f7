// add_standard_job_lean.cpp (scripts) - see add_standard_job_lean.hpp.
#include "core/scripts/add_standard_job_lean.hpp"

#include <string>

namespace drover::detail::scripts {

add_standard_job_lean add_standard_job_lean::of(const queue_keys& k, add_job_args args, bool zero_delay_and_priority) {
  const bool common = zero_delay_and_priority && args.opts_json && !args.parent_key && !args.parent_dependencies_key &&
                      !args.deduplication_key && !args.defer_parent_release && !args.repeat_job_key;
  return {add_standard_job::of(k, std::move(args)), common};
}

script_call add_standard_job_lean::pack() && {
  auto& a = standard.args;
  std::string json = common ? std::move(*a.opts_json) : std::string();
  std::string prefix = a.prefix, custom_id = a.custom_id, name = a.name;
  const auto timestamp = a.timestamp;
  const bool lifo = a.lifo;
  auto call = std::move(standard).pack();
  call.script = &lua::add_standard_job_lean;
  call.args.reserve(call.args.size() + 6);
  call.args.push_back(std::move(json));
  call.args.push_back(std::move(prefix));
  call.args.push_back(std::move(custom_id));
  call.args.push_back(std::move(name));
  call.args.push_back(std::to_string(timestamp));
  call.args.push_back(lifo ? "1" : "0");
  return call;
}

}  // namespace drover::detail::scripts
