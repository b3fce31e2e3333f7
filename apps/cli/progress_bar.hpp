// progress_bar.hpp - a one-line progress bar redrawn in place on a terminal
// (`drover add --file`). It draws only when its stream is a TTY, so pipes and logs
// get the summary line alone.
#pragma once

#include <cstdio>
#include <string>

namespace drover::cli {

class progress_bar {
 public:
  // Draws on `out` (stderr) when it is a terminal, `total` being 100 %.
  progress_bar(std::FILE* out, std::size_t total, std::string unit);
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  // Redraws with `done` of `total`.
  void update(std::size_t done);
  // Ends the line so that what follows starts on a fresh one.
  void finish();

  // "[#########...........]  450/1000 jobs  45%" in `width` bar cells.
  static std::string render(std::size_t done, std::size_t total, const std::string& unit, std::size_t width);

 private:
  std::FILE* out_;
  std::size_t total_;
  std::string unit_;
  bool tty_;
  bool drawn_ = false;
};

}  // namespace drover::cli
