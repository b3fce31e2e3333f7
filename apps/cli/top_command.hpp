// top_command.hpp - `drover top`: every queue under a prefix, redrawn every second in
// the terminal until q or Ctrl-C; --once prints one plain frame, --json one snapshot.
// Also `drover queue list`, which is one frame of the same table.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "queue_overview.hpp"

namespace drover::cli {

// The text of one frame: a title line (prefix, Redis endpoint, time, queue count) and
// the table; `rates` as for print_overview_table. No ANSI codes.
std::string render_top_frame(const std::vector<queue_overview>& queues, const std::string& prefix,
                             const std::string& endpoint, std::int64_t now_ms,
                             const std::map<std::string, measured_rate>& rates = {});

// `frame` cut to a terminal of `rows` lines of `cols` columns: each line to `cols`
// characters (UTF-8 sequences kept whole), and when there are more lines than `rows`,
// the first rows - 1 and a last line that says how many are not shown (a live view
// taller than its terminal scrolled its title and header away on every redraw).
// 0 for either: no limit on it.
std::string fit_frame(std::string_view frame, std::size_t rows, std::size_t cols);

}  // namespace drover::cli
