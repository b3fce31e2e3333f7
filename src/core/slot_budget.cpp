// slot_budget.cpp - job slots shared by several workers.
#include "drover/slot_budget.hpp"

#include <fmt/format.h>

#include "core/worker/slot_line.hpp"
#include "drover/error.hpp"

namespace drover {

slot_budget::slot_budget(std::size_t slots) {
  if (slots < 1) throw error(errc::invalid_argument, fmt::format("a slot budget needs at least 1 slot, not {}", slots));
  line_ = std::make_shared<detail::slot_line>(slots);
}

std::size_t slot_budget::slots() const { return line_->slots(); }
std::size_t slot_budget::in_use() const { return line_->in_use(); }

}  // namespace drover
