// file_limit.cpp - see file_limit.hpp.
#include "httpd/file_limit.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>

namespace drover::httpd {

std::size_t descriptors_needed(std::size_t max_connections) { return 2 * max_connections + 256; }

file_limit_outcome ensure_file_limit(std::size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  const auto wanted = static_cast<rlim_t>(needed);
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return {};
  const auto before = limit.rlim_cur;
  const auto raised = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (raised > before) {
    rlimit next = limit;
    next.rlim_cur = raised;
    if (setrlimit(RLIMIT_NOFILE, &next) != 0) return {};
  }
  if (raised >= wanted) return {true, fmt::format("raised the open-file limit from {} to {}", before, raised)};
  return {
      false,
      fmt::format(
          "the open-file limit is {} (hard limit {}), below the {} descriptors the connection cap needs: raise it "
          "(ulimit -n, systemd's LimitNOFILE=) or lower MAX_CONNECTIONS, or connections beyond it fail to be accepted",
          std::max(before, raised), limit.rlim_max, needed)};
}

}  // namespace drover::httpd
