// raise_id_counter.cpp - see raise_id_counter.hpp.
#include "core/scripts/raise_id_counter.hpp"

#include "core/script_errors.hpp"
#include "drover/error.hpp"

namespace drover::detail::scripts {

raise_id_counter::result raise_id_counter::parse(const redis::reply& r) const {
  if (r.is_error()) throw script_reply_error(lua::raise_id_counter.name, r.str);
  const auto before = r.is_integer() ? r.as_int() : std::nullopt;
  if (!before) throw error(errc::protocol_error, "raiseIdCounter answered no number");
  if (*before < 0) return std::nullopt;
  return before;
}

}  // namespace drover::detail::scripts
