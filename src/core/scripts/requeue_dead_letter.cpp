// requeue_dead_letter.cpp (scripts) - see requeue_dead_letter.hpp.
#include "core/scripts/requeue_dead_letter.hpp"

#include <fmt/format.h>

#include "core/scripts/add_job.hpp"
#include "drover/error.hpp"

namespace drover::detail::scripts {

requeue_dead_letter requeue_dead_letter::of(script_call add, const queue_keys& dead_letters, std::string entry_id) {
  if (add.script != &lua::add_standard_job && add.script != &lua::add_prioritized_job) {
    throw error(errc::invalid_argument, fmt::format("dead letter {}: a requeued job is added now, not with {}",
                                                    entry_id, add.script ? add.script->name : "no script"));
  }
  auto remove = remove_job::of(dead_letters, std::move(entry_id));
  remove.remove_children = false;
  return {std::move(add), std::move(remove), {}, {}, std::nullopt, {}};
}

script_call requeue_dead_letter::pack() && {
  const bool prioritized = add.script == &lua::add_prioritized_job;
  auto removal = std::move(remove).pack();
  std::string checked = failed_job_key.empty() ? add.args.at(0) : std::move(failed_job_key);
  std::string requeued = requeued_key.empty() ? add.args.at(0) : std::move(requeued_key);
  // Without a failed job, keys in the source queue's slot all the same (a cluster).
  auto failed_removal = failed_job_removal ? std::move(*failed_job_removal).pack()
                                           : script_call{&lua::remove_job, {checked, checked, "", "0", ""}};
  return composed_call(lua::requeue_dead_letter)
      .arg(prioritized ? "prioritized" : "standard")
      .call(std::move(add))
      .call(std::move(removal))
      .key(std::move(checked))
      .arg(std::move(failed_finished_on))
      .call(std::move(failed_removal))
      .key(std::move(requeued))
      .take();
}

requeue_dead_letter::result requeue_dead_letter::parse(const redis::reply& r) const {
  if (r.is_integer()) {
    switch (*r.as_int()) {
      case -1:
        return {outcome::no_entry, {}};
      case -100:
        return {outcome::job_running_again, {}};
      case -101:
        return {outcome::job_finished_again, {}};
      case -102:
        return {outcome::requeued_already, {}};
      case 0:
        throw error(errc::not_in_state, fmt::format("dead letter {} is locked; not requeued", remove.job_id));
      default:
        break;
    }
  }
  return {outcome::added, parse_added_id(r, lua::requeue_dead_letter, "")};
}

}  // namespace drover::detail::scripts
