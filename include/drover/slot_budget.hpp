// slot_budget.hpp - job slots shared by several workers of one process, so that together
// they run at most so many jobs while each may use every slot the others leave free.
#pragma once

#include <cstddef>
#include <memory>

namespace drover {

namespace detail {
class slot_line;
}

// Given to workers through worker_options::shared_slots; copies share one budget. A
// worker with a budget runs at most its own `concurrency` jobs and takes a slot of the
// budget for each: a worker that has jobs to fetch waits in line for a free slot, first
// come first served, and one whose queue is empty waits on its queue without holding
// one. A worker whose job finishes hands the slot back rather than fetching its next job
// in the same call whenever another worker waits, so that a busy queue cannot keep the
// budget from the others. (sharded_worker gives its shards one budget.)
//
// Thread safety: none; the workers sharing a budget must run on one executor (thread).
class slot_budget {
 public:
  // Throws drover::error(invalid_argument) for slots < 1.
  explicit slot_budget(std::size_t slots);

  std::size_t slots() const;
  std::size_t in_use() const;

  // The workers' side of the budget (src/core/worker/slot_line.hpp).
  detail::slot_line& line() const { return *line_; }

 private:
  std::shared_ptr<detail::slot_line> line_;
};

}  // namespace drover
