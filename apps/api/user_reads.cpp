// user_reads.cpp - see user_reads.hpp.
#include "api/user_reads.hpp"

#include <chrono>

#include "api/rate_limiter.hpp"

namespace drover::api {

app::held_amounts::holding user_reads::enter(const std::string& user) {
  if (running_.of(user) >= per_user) throw too_many_requests(std::chrono::seconds(1));
  return running_.hold(1, {user});
}

}  // namespace drover::api
