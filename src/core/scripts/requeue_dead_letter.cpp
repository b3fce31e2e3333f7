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
  return {std::move(add), std::move(remove)};
}

script_call requeue_dead_letter::pack() && {
  const bool prioritized = add.script == &lua::add_prioritized_job;
  const auto add_keys = static_cast<std::ptrdiff_t>(add.script->num_keys);
  auto removal = std::move(remove).pack();
  const auto removal_keys = static_cast<std::ptrdiff_t>(removal.script->num_keys);
  script_call call{&lua::requeue_dead_letter, {}};
  auto& out = call.args;
  out.reserve(add.args.size() + removal.args.size() + 1);
  out.insert(out.end(), std::make_move_iterator(add.args.begin()),
             std::make_move_iterator(add.args.begin() + add_keys));
  out.insert(out.end(), std::make_move_iterator(removal.args.begin()),
             std::make_move_iterator(removal.args.begin() + removal_keys));
  out.emplace_back(prioritized ? "prioritized" : "standard");
  out.insert(out.end(), std::make_move_iterator(add.args.begin() + add_keys), std::make_move_iterator(add.args.end()));
  out.insert(out.end(), std::make_move_iterator(removal.args.begin() + removal_keys),
             std::make_move_iterator(removal.args.end()));
  return call;
}

requeue_dead_letter::result requeue_dead_letter::parse(const redis::reply& r) const {
  if (r.is_integer()) {
    if (r.as_int() == -1) return std::nullopt;
    if (r.as_int() == 0) {
      throw error(errc::not_in_state, fmt::format("dead letter {} is locked; not requeued", remove.job_id));
    }
  }
  return parse_added_id(r, lua::requeue_dead_letter, "");
}

}  // namespace drover::detail::scripts
