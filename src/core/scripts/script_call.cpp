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

composed_call& composed_call::arg(std::string a) {
  argv_.push_back(std::move(a));
  return *this;
}

composed_call& composed_call::key(std::string k) {
  keys_.push_back(std::move(k));
  return *this;
}

composed_call& composed_call::call(script_call part) {
  const auto keys = static_cast<std::ptrdiff_t>(part.script->num_keys);
  auto& a = part.args;
  keys_.insert(keys_.end(), std::make_move_iterator(a.begin()), std::make_move_iterator(a.begin() + keys));
  argv_.insert(argv_.end(), std::make_move_iterator(a.begin() + keys), std::make_move_iterator(a.end()));
  return *this;
}

script_call composed_call::take() {
  keys_.insert(keys_.end(), std::make_move_iterator(argv_.begin()), std::make_move_iterator(argv_.end()));
  return {script_, std::move(keys_)};
}

}  // namespace drover::detail::scripts
