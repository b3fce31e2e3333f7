// login_throttle.hpp - slows down credential guessing (dashboard logins, the METRICS_TOKEN
// of the API and the Workers app): failures are counted per client address and per user
// name, in this process.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace drover::httpd {

struct login_throttle_options {
  // Per client address: this many failures at once, then one per interval. 10 and 1 per
  // minute: a person who mistypes gets room, a guesser 60 tries an hour.
  int address_burst = 10;
  std::chrono::milliseconds address_interval{60'000};
  // Per user name (basic credentials; a bearer token counts per address only): more
  // room than an address, since everybody shares one name's budget and a guesser spread
  // over many addresses can keep a name blocked (see below): 20, then one per 30 s.
  int user_burst = 20;
  std::chrono::milliseconds user_interval{30'000};
  // Names and addresses remembered, each; past it, the least throttled are forgotten.
  std::size_t max_entries = 10'000;
};

// Token buckets of failed logins, one per client address and one per user name. A
// request whose address or user has no failure left is refused before its credentials
// are checked, so a guesser learns nothing while blocked.
//
// Limits: the counts live in this process, not in Redis (the dashboard is served by
// one process, and a login attempt must not wait on Redis); with several API processes
// a guesser gets each process's budget. Anyone can spend a user name's budget, so a
// distributed guesser can keep that name out until they stop; operators then see it in
// the log and can still use another name. The dashboard's bearer token, one for everyone
// and too long to guess by trying, is throttled per address only, so nobody can keep it out.
//
// Usage, for each request to the dashboard or its API that carries credentials (a fixed
// bearer token such as METRICS_TOKEN goes through admit_bearer_token, bearer_token.hpp,
// which does this on the address side only):
//  1. wait = blocked(address, claimed_login(authorization)); if wait > 0, answer 429
//     with Retry-After and do not authenticate.
//  2. authenticate(); on failure failed(address, user) then 401. Requests without an
//     Authorization header are not failures (a browser asks before it prompts).
//
// Thread safety: every call may come from any thread (one mutex).
class login_throttle {
 public:
  using clock = std::chrono::steady_clock;

  explicit login_throttle(login_throttle_options opts = {});

  // How long the address or the user must wait before trying again; zero when it may
  // try now. An empty address or user is not throttled on that side. Addresses count
  // under their app::address_key (an IPv6 client by its /64).
  std::chrono::milliseconds blocked(std::string_view address, std::string_view user,
                                    clock::time_point now = clock::now());
  // Counts one failed login against the address and the user.
  void failed(std::string_view address, std::string_view user, clock::time_point now = clock::now());

  // Entries remembered now (tests).
  std::size_t tracked_addresses() const;
  std::size_t tracked_users() const;

 private:
  // A token bucket kept as one instant (GCRA): when the bucket will be full again. Each
  // failure pushes it one interval later; the bucket is empty once it is `burst`
  // intervals ahead of now. Exact integer time, one number per entry.
  struct side {
    int burst;
    clock::duration interval;
    std::unordered_map<std::string, clock::time_point> full_at;
  };
  static clock::duration wait_of(const side& s, std::string_view key, clock::time_point now);
  // REQUIRES: mutex_ is held.
  void spend(side& s, std::string_view key, clock::time_point now);

  login_throttle_options opts_;
  mutable std::mutex mutex_;
  side addresses_;  // guarded by mutex_
  side users_;      // guarded by mutex_
};

}  // namespace drover::httpd
