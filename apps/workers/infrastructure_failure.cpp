// infrastructure_failure.cpp - see infrastructure_failure.hpp.
#include "workers/infrastructure_failure.hpp"

#include <drover/error.hpp>

#include "drover_app/db/database.hpp"
#include "drover_app/redis_refusal.hpp"

namespace drover::workers {

std::optional<std::string> infrastructure_failure(const std::exception& e) {
  if (dynamic_cast<const app::database_error*>(&e)) return "the database failed";
  const auto* d = dynamic_cast<const drover::error*>(&e);
  if (!d) return std::nullopt;
  // A full Redis answers, so "could not be reached" would send its operator the wrong
  // way; nor is "refused a command" something to act on.
  if (auto refused = app::redis_refusal(*d)) return std::string(*refused);
  if (d->is(errc::redis_unavailable) || d->is(errc::redis_timeout) || d->is(errc::closed)) {
    return "Redis could not be reached";
  }
  if (d->is(errc::not_replicated)) return "Redis's replicas did not confirm a write in time";
  if (d->is(errc::redis_error) || d->is(errc::protocol_error) || d->is(errc::script_error)) {
    return "Redis refused a command";
  }
  return std::nullopt;  // the job's own (a missing lock, a bad argument...): as it is
}

}  // namespace drover::workers
