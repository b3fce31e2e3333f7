// script_call.cpp - see script_call.hpp.
#include "core/scripts/script_call.hpp"

#include <fmt/format.h>

#include "core/script_errors.hpp"
#include "drover/error.hpp"

namespace drover::detail::scripts {

std::int64_t expect_code(const redis::reply& r, const lua::script& s, std::string_view job_id, std::string_view state) {
  auto code = r.as_int();
  if (!code)
    throw error(errc::protocol_error, fmt::format("{} answered '{}', expected a number", s.name, r.as_string()));
  if (*code < 0) throw script_code_error(*code, job_id, s.name, state);
  return *code;
}

}  // namespace drover::detail::scripts
