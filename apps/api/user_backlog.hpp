// user_backlog.hpp - the chat sends of each user that this API process accepted and whose
// job has not ended: past a cap, the user's next send is refused (429) until one ends.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
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
// even without an end, so that a job that ended unseen (a relay that read no events
// while Redis was away) cannot shut its user out for good.
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
    place(user_backlog* owner, std::string user) : owner_(owner), user_(std::move(user)) {}
    user_backlog* owner_;
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

  std::size_t max_per_user_;
  std::chrono::steady_clock::duration forget_after_;
  std::unordered_map<std::string, std::vector<entry>> by_user_;  // only users with entries
  std::unordered_map<std::string, std::string> user_of_;         // job id -> its sender
};

}  // namespace drover::api
