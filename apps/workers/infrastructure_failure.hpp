// infrastructure_failure.hpp - what a user may read when Redis or the database, not the
// job itself, failed an attempt.
#pragma once

#include <exception>
#include <optional>
#include <string>

namespace drover::workers {

// A job's failure reason is read by the user who queued it (GET /api/chat/job/:id,
// Socket.IO's job-failed, a document's error) and shown on the dashboard. drover's and the
// database's errors name hosts, ports and cluster topology ("redis at 10.0.0.7:6379 (of
// the cluster ...): unavailable"), which docs/security.md keeps in the log. So for such an
// error this gives a category ("Redis could not be reached", "the database failed",
// ...) and std::nullopt for any other exception, whose text is the job's
// own. The processor logs e.what() at warn with the job's id and throws the category.
std::optional<std::string> infrastructure_failure(const std::exception& e);

}  // namespace drover::workers
