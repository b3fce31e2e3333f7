// get_ranges.cpp - see get_ranges.hpp.
#include "core/scripts/get_ranges.hpp"

#include <algorithm>

namespace drover::detail::scripts {

std::vector<std::string> state_key_names(const std::vector<std::string>& types) {
  std::vector<std::string> names;
  for (const auto& t : types) {
    auto name = t == "waiting" ? std::string("wait") : t;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  }
  return names;
}

get_ranges get_ranges::of(const queue_keys& k, const std::vector<std::string>& types, std::int64_t start,
                          std::int64_t end, bool asc) {
  return get_ranges{k.base(), start, end, asc, state_key_names(types)};
}

script_call get_ranges::pack() && {
  script_call call{&lua::get_ranges, {std::move(prefix), std::to_string(start), std::to_string(end), flag(asc)}};
  call.args.insert(call.args.end(), states.begin(), states.end());  // parse() reads them
  return call;
}

get_ranges::result get_ranges::parse(const redis::reply& r) const {
  result out;
  for (std::size_t i = 0; i < r.elements.size(); ++i) {
    std::vector<std::string> ids;
    for (const auto& e : r.elements[i].elements) ids.push_back(e.as_string());
    const bool list = i < states.size() && (states[i] == "wait" || states[i] == "paused" || states[i] == "active");
    if (asc && list) std::reverse(ids.begin(), ids.end());
    for (auto& id : ids) {
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
    }
  }
  return out;
}

}  // namespace drover::detail::scripts
