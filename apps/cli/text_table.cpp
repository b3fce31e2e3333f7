// text_table.cpp - column widths, alignment and the small formatters of human output.
#include "text_table.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include <drover_app/utf8.hpp>

namespace drover::cli {

namespace {

std::size_t columns_of(char32_t c) {
  const auto in = [c](char32_t from, char32_t to) { return c >= from && c <= to; };
  if (in(0x0300, 0x036F) || in(0x1AB0, 0x1AFF) || in(0x1DC0, 0x1DFF) || in(0x20D0, 0x20FF) || in(0xFE20, 0xFE2F) ||
      c == 0x200B || app::joins_or_varies(c)) {
    return 0;
  }
  if (in(0x1100, 0x115F) || in(0x2E80, 0x303E) || in(0x3041, 0x33FF) || in(0x3400, 0x4DBF) || in(0x4E00, 0x9FFF) ||
      in(0xA000, 0xA4CF) || in(0xAC00, 0xD7A3) || in(0xF900, 0xFAFF) || in(0xFE30, 0xFE4F) || in(0xFF00, 0xFF60) ||
      in(0xFFE0, 0xFFE6) || in(0x1F300, 0x1F64F) || in(0x1F900, 0x1F9FF) || in(0x20000, 0x2FFFD) ||
      in(0x30000, 0x3FFFD)) {
    return 2;
  }
  return 1;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = app::utf8_sequence(text, i);
    if (n == 0) {
      ++width;
      ++i;
      continue;
    }
    width += columns_of(app::utf8_code_point(text, i, n));
    i += n;
  }
  return width;
}

text_table::text_table(std::vector<std::string> headers, std::vector<align> aligns)
    : headers_(std::move(headers)), aligns_(std::move(aligns)) {
  aligns_.resize(headers_.size(), align::left);
}

void text_table::add_row(std::vector<std::string> cells) {
  if (cells.size() > headers_.size()) {
    throw std::invalid_argument(fmt::format("text_table: {} cells for {} columns", cells.size(), headers_.size()));
  }
  cells.resize(headers_.size());
  for (auto& cell : cells) cell = terminal_safe(cell);
  rows_.push_back(std::move(cells));
}

void text_table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = display_width(headers_[c]);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::string pad(widths[c] - display_width(cells[c]), ' ');
      if (c > 0) text += "  ";
      text += aligns_[c] == align::right ? pad + cells[c] : cells[c] + pad;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
}

std::string format_time(std::optional<std::int64_t> epoch_ms) {
  if (!epoch_ms || *epoch_ms <= 0) return "-";
  // fmt::gmtime: UTC whatever the version of fmt (time_point formatting changed zone in 10).
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(static_cast<std::time_t>(*epoch_ms / 1000)));
}

std::string format_duration(std::int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  auto s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string terminal_safe(std::string_view text, bool keep_lines) {
  std::string out;
  out.reserve(text.size());
  app::shown_code_points seen;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = app::utf8_sequence(text, i);
    if (n == 0) {
      seen.restart();
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    const char32_t c = app::utf8_code_point(text, i, n);
    const bool shows = seen.shows(c);
    if (c == '\n' || c == '\t' || c == '\r') {
      out += keep_lines && c != '\r' ? static_cast<char>(c) : ' ';
    } else if (c <= 0xFF && app::invisible(c)) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    } else if (!shows) {
      out += fmt::format("\\u{{{:04x}}}", static_cast<unsigned>(c));  // a bidirectional override, say
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string shorten(const std::string& text, std::size_t width) {
  std::string flat = terminal_safe(text);
  if (display_width(flat) <= width) return flat;
  if (width == 0) return {};
  // Keep what fits in width-1 columns, then the ellipsis.
  std::size_t used = 0, i = 0;
  while (i < flat.size()) {
    const std::size_t n = std::max<std::size_t>(1, app::utf8_sequence(flat, i));
    used += display_width(std::string_view(flat).substr(i, n));
    if (used > width - 1) break;
    i += n;
  }
  return flat.substr(0, i) + "…";
}

}  // namespace drover::cli
