// slot_line.hpp - the workers' side of a slot_budget: free slots, and the fetchers waiting
// in line for one.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "core/worker/event.hpp"
#include "drover/slot_budget.hpp"

namespace drover::detail {

// A fetcher that wants a slot calls try_take() with its wake-up event: it gets a slot
// when one is free and nobody is ahead of it, or it joins the line (once) and waits on
// its event, which release() notifies when the slot it frees is the first in line's.
// A waiter may wake for other reasons too; it just calls try_take() again.
// Thread safety: none; use it from the workers' executor.
class slot_line {
 public:
  explicit slot_line(std::size_t slots) : slots_(slots), free_(slots) {}

  bool try_take(event& waiter);
  void release();
  // A fetcher that stops waiting (its worker closes) leaves the line.
  void leave(event& waiter);
  // Someone waits for a slot: a finishing job should hand its slot back.
  bool contended() const { return !line_.empty(); }

  std::size_t slots() const { return slots_; }
  std::size_t in_use() const { return slots_ - free_; }

 private:
  void wake_first();

  std::size_t slots_;
  std::size_t free_;
  std::deque<event*> line_;
};

// A slot taken from a worker's budget (none when it has no budget), handed back once: by
// release() or, whatever way its holder ends, by the destructor.
class budget_slot {
 public:
  explicit budget_slot(const std::optional<slot_budget>& budget) : budget_(budget) {}
  budget_slot(budget_slot&& o) noexcept : budget_(std::exchange(o.budget_, std::nullopt)) {}
  budget_slot& operator=(budget_slot&&) = delete;
  ~budget_slot() { release(); }

  void release() {
    if (budget_) budget_->line().release();
    budget_.reset();
  }

 private:
  std::optional<slot_budget> budget_;
};

}  // namespace drover::detail
