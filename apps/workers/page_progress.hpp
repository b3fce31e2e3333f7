// page_progress.hpp - which pages of a document's extraction are worth a progress update.
#pragma once

namespace drover::workers {

// Each update is a Redis round trip and an entry in the queue's events stream: a PDF of
// 100,000 small pages would write 100,000 of them in seconds and push every other event
// out of the stream. So a page is reported when it moves the whole percent on, and the
// last page always: at most 101 updates, and every page of a short document.
// Thread safety: one per job.
class page_progress {
 public:
  // True when page `done` of `total` should be reported (pages counted from 1).
  bool worth_reporting(int done, int total);

 private:
  int last_percent_ = -1;
};

}  // namespace drover::workers
