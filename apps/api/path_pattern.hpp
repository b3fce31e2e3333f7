// path_pattern.hpp - matching a request path against a route pattern.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace drover::api {

// Whether the path's segments match `pattern` one for one: a part starting with ':'
// (":jobId") matches any segment, every other part only itself.
inline bool matches_pattern(const std::vector<std::string>& segments, std::initializer_list<const char*> pattern) {
  if (pattern.size() != segments.size()) return false;
  std::size_t i = 0;
  for (const char* part : pattern) {
    if (*part != ':' && segments[i] != part) return false;
    ++i;
  }
  return true;
}

}  // namespace drover::api
