// text_table.hpp - the human tables of `drover queue list|counts|jobs` and `drover top`:
// columns as wide as their widest cell, numbers right-aligned, no colours (so that
// the output is the same on a terminal, in a pipe and in a test).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace drover::cli {

class text_table {
 public:
  enum class align { left, right };

  // One column per header; cells of a right-aligned column line up on their last digit.
  explicit text_table(std::vector<std::string> headers, std::vector<align> aligns = {});

  // Adds a row; missing cells are empty and extra cells are an error (std::invalid_argument).
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }

  // Writes the header, then each row, one line each, columns two spaces apart and no
  // trailing blanks; every cell through terminal_safe.
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-28 23:59:01" (UTC) for an epoch in ms; "-" for none or 0.
std::string format_time(std::optional<std::int64_t> epoch_ms);
// "850ms", "12.3s", "4m05s", "2h10m", "3d04h"; "-" for a negative duration.
std::string format_duration(std::int64_t ms);
// `text` safe to print on a terminal: control characters (C0 but tab, DEL, C1) and bytes
// that are not UTF-8 written as "\x1b", other invisible characters (bidirectional
// overrides, zero-width ones) as "\u{202e}", so that text someone else stored (a job's name,
// failure reason, stack trace or logs, from any producer) cannot set the terminal's
// title, write its clipboard (OSC 52) or hide text. Newlines and tabs stay when
// `keep_lines` (multi-line blocks), else become spaces.
std::string terminal_safe(std::string_view text, bool keep_lines = false);

// The terminal columns `text` (UTF-8, terminal_safe) takes: two for each wide character
// (CJK ideographs, kana, Hangul, full-width forms, emoji), none for combining marks,
// joiners and variation selectors, one for the rest. A table of them stayed aligned only
// for Latin text (an i18n review's rows after "キュー" were shifted). Unicode's East Asian
// Width, by its main ranges: a rare character may be off by one column.
std::size_t display_width(std::string_view text);

// At most `width` characters (counted in bytes, UTF-8 sequences kept whole), with "…"
// when cut; newlines become spaces, and the rest is terminal_safe.
std::string shorten(const std::string& text, std::size_t width);

}  // namespace drover::cli
