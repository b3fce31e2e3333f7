// active_locked_by.cpp - see active_locked_by.hpp.
#include "core/scripts/active_locked_by.hpp"

#include "drover/error.hpp"

namespace drover::detail::scripts {

active_locked_by::result active_locked_by::parse(const redis::reply& r) const {
  result ids;
  // An empty Lua table comes back as an empty array.
  if (!r.is_array()) throw error(errc::protocol_error, "activeLockedBy answered no list");
  for (const auto& e : r.elements) ids.push_back(e.str);
  return ids;
}

}  // namespace drover::detail::scripts
