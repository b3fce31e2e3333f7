// user_backlog.cpp - see user_backlog.hpp.
#include "api/user_backlog.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "api/http_error.hpp"

namespace drover::api {

using clock = std::chrono::steady_clock;

// About the time a short answer takes.
constexpr int retry_after_s = 2;

user_backlog::user_backlog(std::size_t max_per_user, clock::duration forget_after)
    : max_per_user_(max_per_user), forget_after_(forget_after) {}

user_backlog::place::place(place&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), alive_(std::move(other.alive_)), user_(std::move(other.user_)) {}

user_backlog::place::~place() {
  if (auto* owner = live_owner()) owner->drop(user_, "");
}

void user_backlog::place::accepted(const std::string& job_id) {
  auto* owner = live_owner();
  owner_ = nullptr;
  if (!owner) return;
  auto found = owner->by_user_.find(user_);
  if (found == owner->by_user_.end()) return;  // forgotten meanwhile
  auto& entries = found->second;
  // The oldest unaccepted place becomes the entry: they are alike.
  auto it = std::find_if(entries.begin(), entries.end(), [](const entry& e) { return e.job_id.empty(); });
  if (it == entries.end()) return;
  // A second send answered with the same job (an Idempotency-Key retry) holds no place,
  // nor does a send whose job has ended already.
  if (owner->user_of_.contains(job_id) || owner->early_end_ids_.contains(job_id)) {
    entries.erase(it);
    if (entries.empty()) owner->by_user_.erase(found);
    return;
  }
  it->job_id = job_id;
  owner->user_of_[job_id] = user_;
}

user_backlog::place user_backlog::enter(const std::string& user) {
  if (max_per_user_ == 0) return place(nullptr, user);
  sweep_now_and_then();
  forget_old(user);
  auto& entries = by_user_[user];
  if (entries.size() >= max_per_user_) {
    throw http_error(httpd::http::status::too_many_requests,
                     fmt::format("{} of your messages are still waiting for their answers; send this one once one "
                                 "has come (retry in {} s)",
                                 entries.size(), retry_after_s))
        .with_header("Retry-After", std::to_string(retry_after_s));
  }
  entries.push_back({"", clock::now()});
  return place(this, user);
}

void user_backlog::ended(const std::string& job_id) {
  auto it = user_of_.find(job_id);
  if (it == user_of_.end()) {
    if (max_per_user_ == 0 || !early_end_ids_.insert(job_id).second) return;
    early_ends_.push_back(job_id);
    if (early_ends_.size() > early_ends_kept) {
      early_end_ids_.erase(early_ends_.front());
      early_ends_.pop_front();
    }
    return;
  }
  const std::string user = std::move(it->second);
  user_of_.erase(it);
  drop(user, job_id);
}

std::size_t user_backlog::unanswered(const std::string& user) {
  forget_old(user);
  auto it = by_user_.find(user);
  return it == by_user_.end() ? 0 : it->second.size();
}

void user_backlog::sweep_now_and_then() {
  const auto now = clock::now();
  if (now - last_sweep_ < std::chrono::minutes(1)) return;
  last_sweep_ = now;
  std::vector<std::string> users;
  users.reserve(by_user_.size());
  for (const auto& [user, entries] : by_user_) users.push_back(user);
  for (const auto& user : users) forget_old(user);
}

void user_backlog::forget_old(const std::string& user) {
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return;
  const auto cutoff = clock::now() - forget_after_;
  std::erase_if(it->second, [&](const entry& e) {
    if (e.at >= cutoff) return false;
    if (!e.job_id.empty()) user_of_.erase(e.job_id);
    return true;
  });
  if (it->second.empty()) by_user_.erase(it);
}

void user_backlog::drop(const std::string& user, const std::string& job_id) {
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return;
  auto& entries = it->second;
  auto e = std::find_if(entries.begin(), entries.end(), [&](const entry& x) { return x.job_id == job_id; });
  if (e != entries.end()) entries.erase(e);
  if (entries.empty()) by_user_.erase(it);
}

}  // namespace drover::api
