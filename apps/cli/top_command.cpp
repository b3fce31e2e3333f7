// top_command.cpp - the live view. Lifecycle of `drover top` on a terminal:
//   1. read the overviews once (an unreachable Redis is an error, exit 1);
//   2. switch the terminal to the alternate screen, hide the cursor, and turn off line
//      buffering and echo so that a single `q` is read at once;
//   3. every second: read again, compute completed/failed per minute from count
//      deltas where the workers keep no metrics, and redraw; a Redis error then is
//      shown in the frame and retried, so a blip does not end the view;
//   4. on q, Ctrl-C or SIGTERM: restore the terminal exactly as it was.
#include "top_command.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover_app/clock.hpp>
#include <drover_app/utf8.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "text_table.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

struct top_flags {
  common_options common;
  bool once = false;
  bool json = false;
  long interval_ms = 1000;
};

// Puts the terminal in the live view's mode and back, whatever ends the view.
class terminal_mode {
 public:
  terminal_mode() {
    if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      restore_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    std::cout << "\x1b[?1049h\x1b[?25l" << std::flush;  // alternate screen, hidden cursor
  }
  ~terminal_mode() {
    std::cout << "\x1b[?25h\x1b[?1049l" << std::flush;
    if (restore_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  terminal_mode(const terminal_mode&) = delete;
  terminal_mode& operator=(const terminal_mode&) = delete;

 private:
  termios saved_{};
  bool restore_ = false;
};

// Completed/failed per minute from the change of the counts between two reads. Counts
// that went down (jobs removed or cleaned) give no rate rather than a negative one.
std::map<std::string, measured_rate> rates_between(const std::vector<queue_overview>& before,
                                                   const std::vector<queue_overview>& after, double seconds) {
  std::map<std::string, measured_rate> out;
  if (seconds <= 0) return out;
  for (const auto& a : after) {
    for (const auto& b : before) {
      if (b.key() != a.key()) continue;
      auto per_minute = [&](const char* state) {
        auto d = a.count(state) - b.count(state);
        return d < 0 ? 0.0 : static_cast<double>(d) * 60.0 / seconds;
      };
      out[a.key()] = {per_minute("completed"), per_minute("failed")};
    }
  }
  return out;
}

json::object snapshot_json(const std::vector<queue_overview>& queues, const std::string& prefix) {
  json::array qs;
  for (const auto& q : queues) qs.push_back(q.to_json());
  return {{"time", app::now_ms()}, {"prefix", prefix}, {"queues", std::move(qs)}};
}

net::awaitable<void> live_view(const top_flags& f, overview_reader& reader, net::io_context& io) {
  auto endpoint = f.common.redis().endpoint();
  auto previous = co_await reader.read();
  auto previous_at = std::chrono::steady_clock::now();
  std::map<std::string, measured_rate> rates;
  std::string problem;

  terminal_mode mode;
  bool quit = false;
  net::posix::stream_descriptor keys(io, ::dup(STDIN_FILENO));
  net::signal_set signals(io, SIGINT, SIGTERM);
  net::steady_timer tick(io);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    quit = true;
    tick.cancel();
  });
  // Reads single key presses; q (or Q, or end of input) quits.
  std::function<void()> read_key;
  char key = 0;
  read_key = [&] {
    keys.async_read_some(net::buffer(&key, 1), [&](const boost::system::error_code& ec, std::size_t n) {
      if (ec == net::error::operation_aborted) return;
      if (ec || n == 0 || key == 'q' || key == 'Q' || key == 3) {
        quit = true;
        tick.cancel();
        return;
      }
      read_key();
    });
  };
  read_key();

  auto current = previous;
  while (!quit) {
    auto frame = render_top_frame(current, f.common.prefix, endpoint, app::now_ms(), rates);
    // Read each frame: the terminal may have been resized since the last.
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) size = {};
    // Two lines for the footer below, two more for a failed read's line, which the cut
    // must not take (a stale table would show with no sign that reads fail).
    const std::size_t reserved = problem.empty() ? 2u : 4u;
    const std::size_t rows = size.ws_row > reserved ? size.ws_row - reserved : 0u;
    std::string redraw = "\x1b[H\x1b[2J" + fit_frame(frame, rows, size.ws_col);
    if (!problem.empty()) redraw += "\n" + fit_frame(problem, 0, size.ws_col);
    redraw += "\npress q to quit";
    std::cout << redraw << std::flush;

    tick.expires_after(std::chrono::milliseconds(f.interval_ms));
    // A cancelled wait (q, Ctrl-C) is how the loop ends, not an error.
    boost::system::error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);  // named: no temporaries in a co_await (GCC 12)
    co_await tick.async_wait(token);
    if (quit) break;
    bool failed = false;
    try {
      current = co_await reader.read();
    } catch (const std::exception& e) {
      failed = true;
      problem = fmt::format("redis {}: {} (retrying)", endpoint, e.what());
    }
    if (failed) continue;
    problem.clear();
    auto now = std::chrono::steady_clock::now();
    rates = rates_between(previous, current, std::chrono::duration<double>(now - previous_at).count());
    previous = current;
    previous_at = now;
  }
  signals.cancel();
  keys.cancel();
  keys.close();
}

int run_top(const top_flags& f, bool list) {
  net::io_context io;
  overview_reader reader(io.get_executor(), f.common);
  const bool once = f.once || f.json || list;
  if (!once && (::isatty(STDOUT_FILENO) == 0 || ::isatty(STDIN_FILENO) == 0)) {
    throw error(errc::invalid_argument, "drover top needs a terminal; use --once or --json for a single snapshot");
  }
  run_to_end(io, [&]() -> net::awaitable<void> {
    if (!once) {
      co_await live_view(f, reader, io);
      reader.close();
      co_return;
    }
    auto queues = co_await reader.read();
    reader.close();
    if (list && f.json) {
      json::array out;
      for (const auto& q : queues) out.push_back(q.to_json());
      std::cout << drover::serialize_json(out) << std::endl;
    } else if (f.json) {
      std::cout << drover::serialize_json(snapshot_json(queues, f.common.prefix)) << std::endl;
    } else if (list) {
      if (queues.empty()) {
        std::cout << fmt::format("no queues under prefix {}\n", f.common.prefix);
      } else {
        print_overview_table(std::cout, queues);
      }
      std::cout.flush();
    } else {
      std::cout << render_top_frame(queues, f.common.prefix, f.common.redis().endpoint(), app::now_ms()) << std::flush;
    }
  });
  return 0;
}

}  // namespace

std::string render_top_frame(const std::vector<queue_overview>& queues, const std::string& prefix,
                             const std::string& endpoint, std::int64_t now_ms,
                             const std::map<std::string, measured_rate>& rates) {
  std::ostringstream out;
  out << fmt::format("drover top - redis {} - prefix {} - {} queue(s) - {} UTC\n\n", endpoint, prefix, queues.size(),
                     format_time(now_ms));
  if (queues.empty()) {
    out << "no queues yet\n";
  } else {
    print_overview_table(out, queues, rates);
  }
  return out.str();
}

std::string fit_frame(std::string_view frame, std::size_t rows, std::size_t cols) {
  std::vector<std::string_view> lines;
  while (!frame.empty()) {
    const auto end = frame.find('\n');
    lines.push_back(frame.substr(0, end));
    frame = end == std::string_view::npos ? std::string_view{} : frame.substr(end + 1);
  }
  std::size_t shown = lines.size();
  if (rows > 0 && lines.size() > rows) shown = rows - 1;
  std::string out;
  for (std::size_t i = 0; i < shown; ++i) {
    std::string_view line = lines[i];
    if (cols > 0) {
      // Cut before the character that would pass the last column (a wide one takes two).
      std::size_t used = 0;
      for (std::size_t at = 0; at < line.size();) {
        const std::size_t n = std::max<std::size_t>(1, app::utf8_sequence(line, at));
        used += display_width(line.substr(at, n));
        if (used > cols) {
          line = line.substr(0, at);
          break;
        }
        at += n;
      }
    }
    out.append(line).push_back('\n');
  }
  if (shown < lines.size()) {
    auto more = fmt::format("... {} more lines: a taller terminal shows them, drover queue list prints them all",
                            lines.size() - shown);
    out += fit_frame(more, 0, cols);
  }
  return out;
}

namespace {

void add_top_options(CLI::App& top, top_flags& f) {
  add_connection(&top, f.common);
  top.add_flag("--once", f.once, "print one frame and exit (no terminal codes)");
  add_json_flag(&top, f.json);
  top.add_option("--interval", f.interval_ms, "ms between redraws")
      ->check(integer_in(100, 60000, "an integer from 100 to 60000"))
      ->capture_default_str();
}

void add_list_options(CLI::App& list, top_flags& f) {
  add_connection(&list, f.common);
  add_json_flag(&list, f.json);
}

}  // namespace

command top_command() {
  return make_command<top_flags>("top", "live view of every queue: counts, jobs per minute, workers (q to quit)",
                                 add_top_options, [](const top_flags& f) { return run_top(f, false); });
}

command queue_list_command() {
  return make_command<top_flags>("queue list", "every queue under the prefix: counts, paused, workers, jobs per minute",
                                 add_list_options, [](const top_flags& f) { return run_top(f, true); });
}

}  // namespace drover::cli
