// progress_bar.cpp - "\r" and erase-line redraws; nothing at all when not on a TTY.
#include "progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace drover::cli {

progress_bar::progress_bar(std::FILE* out, std::size_t total, std::string unit)
    : out_(out), total_(total), unit_(std::move(unit)), tty_(::isatty(::fileno(out)) != 0) {}

progress_bar::~progress_bar() { finish(); }

std::string progress_bar::render(std::size_t done, std::size_t total, const std::string& unit, std::size_t width) {
  done = std::min(done, total);
  auto filled = total == 0 ? width : done * width / total;
  auto percent = total == 0 ? 100 : done * 100 / total;
  auto digits = fmt::format("{}", total).size();
  return fmt::format("[{}{}] {:>{}}/{} {} {:>3}%", std::string(filled, '#'), std::string(width - filled, '.'), done,
                     digits, total, unit, percent);
}

void progress_bar::update(std::size_t done) {
  if (!tty_) return;
  // \r back to the start, \x1b[K erases what a longer earlier line left behind.
  std::fputs(("\r" + render(done, total_, unit_, 30) + "\x1b[K").c_str(), out_);
  std::fflush(out_);
  drawn_ = true;
}

void progress_bar::finish() {
  if (!drawn_) return;
  std::fputs("\n", out_);
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace drover::cli
