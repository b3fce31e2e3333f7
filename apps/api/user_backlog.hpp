// user_backlog.hpp - the chat sends of each user that this API process accepted and whose
// job has not ended: past a cap, the user's next send is refused (429) until one ends.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace drover::api {

// The send rate limit alone let one user keep the chat queue full: at 1 send/s against a
// model of 10 s and 5 workers the queue grows without end, and another user's answer
// waited 40 s and longer (a security review). With a cap on what a user has waiting, the
// queue ahead of another user's send holds at most that many of each user's jobs.
//
// Per API process, as every send it accepted counts until its job's end (completed,
// failed for good, removed) reaches this process's event relay; behind a load balancer a
// user may have the cap at each process. An entry is forgotten `forget_after` its send
// even without an end, so that a job that ended unseen (removed by a drain, whose
// events do not name each job) cannot shut its user out for good; every user's entries
// are looked at once a minute, so that those of users who never send again go too.
// Thread safety: none; the API's executor.
class user_backlog {
 public:
  // max_per_user 0: no cap.
  explicit user_backlog(std::size_t max_per_user,
                        std::chrono::steady_clock::duration forget_after = std::chrono::minutes(10));

  // A place in the user's backlog, held while the send is being accepted; its job's id
  // makes it an entry (accepted()), otherwise it is given back when it goes.
  class place {
   public:
    place(place&& other) noexcept;
    place& operator=(place&&) = delete;
    place(const place&) = delete;
    ~place();
    void accepted(const std::string& job_id);

   private:
    friend class user_backlog;
    place(user_backlog* owner, std::string user)
        : owner_(owner), alive_(owner ? owner->alive_ : nullptr), user_(std::move(user)) {}
    // The backlog, while it lives: a send's frame may be destroyed after the server (the
    // io_context goes last, at a shutdown that did not wait for every request).
    user_backlog* live_owner() const { return alive_.expired() ? nullptr : owner_; }
    user_backlog* owner_;
    std::weak_ptr<bool> alive_;
    std::string user_;
  };

  // Throws the 429 (Retry-After: 2) when the user has max_per_user sends unanswered.
  place enter(const std::string& user);
  // The job's end: its sender's entry goes. A job this process did not accept is ignored.
  void ended(const std::string& job_id);
  std::size_t unanswered(const std::string& user);

 private:
  struct entry {
    std::string job_id;  // "" while its send is being accepted
    std::chrono::steady_clock::time_point at;
  };
  void forget_old(const std::string& user);
  void drop(const std::string& user, const std::string& job_id);

  void sweep_now_and_then();

  std::size_t max_per_user_;
  std::chrono::steady_clock::duration forget_after_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::chrono::steady_clock::time_point last_sweep_ = std::chrono::steady_clock::now();
  std::unordered_map<std::string, std::vector<entry>> by_user_;  // only users with entries
  std::unordered_map<std::string, std::string> user_of_;         // job id -> its sender
  // Ends of jobs no entry named yet, newest last: an end can come before its send is
  // accepted (the add's reply waits for the replicas, a short job does not).
  std::deque<std::string> early_ends_;
  std::unordered_set<std::string> early_end_ids_;
  static constexpr std::size_t early_ends_kept = 4096;
};

}  // namespace drover::api
