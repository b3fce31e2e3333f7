// get_jobs.cpp - see get_jobs.hpp.
#include "core/scripts/get_jobs.hpp"

#include "core/scripts/get_ranges.hpp"

#include <algorithm>

namespace drover::detail::scripts {

get_jobs get_jobs::of(const queue_keys& k, const std::vector<std::string>& types, std::int64_t start, std::int64_t end,
                      bool asc) {
  return get_jobs{k.base(), start, end, asc, 5, state_key_names(types)};
}

script_call get_jobs::pack() && {
  script_call call{
      &lua::get_jobs,
      {std::move(prefix), std::to_string(start), std::to_string(end), flag(asc), std::to_string(max_iterations)}};
  for (auto& s : states) call.args.push_back(std::move(s));
  return call;
}

get_jobs::result get_jobs::parse(redis::reply& r) const {
  result out;
  std::vector<std::string> ids;
  for (auto& per_type : r.elements) {
    for (auto& entry : per_type.elements) {
      if (entry.elements.size() < 2) continue;
      auto id = entry.elements[0].as_string();
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      ids.push_back(id);
      std::vector<std::string> fv;
      for (auto& e : entry.elements[1].elements) fv.push_back(std::move(e.str));
      out.push_back(job::from_hash(std::move(id), fv));
    }
  }
  return out;
}

}  // namespace drover::detail::scripts
