// login_throttle.cpp - in-process token buckets of failed logins (GCRA), bounded in size.
#include "httpd/login_throttle.hpp"

#include <algorithm>

#include <drover_app/address_key.hpp>

namespace drover::httpd {

login_throttle::login_throttle(login_throttle_options opts)
    : opts_(opts),
      addresses_{std::max(opts.address_burst, 1), std::max(opts.address_interval, std::chrono::milliseconds(1)), {}},
      users_{std::max(opts.user_burst, 1), std::max(opts.user_interval, std::chrono::milliseconds(1)), {}} {}

login_throttle::clock::duration login_throttle::wait_of(const side& s, std::string_view key, clock::time_point now) {
  if (key.empty()) return {};
  auto it = s.full_at.find(std::string(key));
  if (it == s.full_at.end()) return {};
  // One more failure is allowed while the bucket is less than `burst` intervals behind.
  const auto ahead = it->second - now;
  return std::max(ahead - (s.burst - 1) * s.interval, clock::duration::zero());
}

void login_throttle::spend(side& s, std::string_view key, clock::time_point now) {
  if (key.empty()) return;
  auto it = s.full_at.find(std::string(key));
  if (it == s.full_at.end()) {
    if (s.full_at.size() >= opts_.max_entries) {
      // Full buckets tell nothing: forget them first. If every entry is throttled, forget
      // the one with most room left, so that a flood of new names or addresses cannot
      // grow the table, and costs the guesser its own least useful entries.
      std::erase_if(s.full_at, [&](const auto& e) { return e.second <= now; });
      if (s.full_at.size() >= opts_.max_entries) {
        auto most_room = std::min_element(s.full_at.begin(), s.full_at.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
        s.full_at.erase(most_room);
      }
    }
    it = s.full_at.emplace(std::string(key), now).first;
  }
  it->second = std::max(it->second, now) + s.interval;
}

std::chrono::milliseconds login_throttle::blocked(std::string_view address, std::string_view user,
                                                  clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto wait = std::max(wait_of(addresses_, app::address_key(address), now), wait_of(users_, user, now));
  // Rounded up: a caller that waits this long may try.
  return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

void login_throttle::failed(std::string_view address, std::string_view user, clock::time_point now) {
  std::lock_guard lock(mutex_);
  spend(addresses_, app::address_key(address), now);
  spend(users_, user, now);
}

std::size_t login_throttle::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.full_at.size();
}

std::size_t login_throttle::tracked_users() const {
  std::lock_guard lock(mutex_);
  return users_.full_at.size();
}

}  // namespace drover::httpd
