// release_parent.hpp - BullMQ's releaseParentIfNoPendingDependencies: the last step of a
// flow's insert, once per parent the flow touched.
//
// Contract: when the parent exists, is still in its queue's waiting-children and has
// no pending dependencies left (its children were all found finished while the flow was
// added), moves it to wait (or delayed, or prioritized); otherwise changes nothing.
// A parent marked flowAttachmentFailed loses the mark instead.
// KEYS (2): parent job key, parent dependencies key. ARGV (3): the parent's queue key
// ("<prefix>:<queue>"), its id, a timestamp. Returns nothing.
#pragma once

#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct release_parent {
  // KEYS
  std::string parent_key, parent_dependencies;
  // ARGV
  std::string parent_queue_key, parent_id;
  std::int64_t timestamp = 0;

  script_call pack() && {
    return {&lua::release_parent_if_no_pending_dependencies,
            {std::move(parent_key), std::move(parent_dependencies), std::move(parent_queue_key), std::move(parent_id),
             std::to_string(timestamp)}};
  }
};

}  // namespace drover::detail::scripts
