// job_room.hpp - the Socket.IO room of a chat job, and who may stay in it when its id
// comes to name another job.
#pragma once

#include <string>
#include <string_view>

#include "api/socketio/server.hpp"

namespace drover::api {

// "job:<id>": where job-progress, job-completed and job-failed of job <id> go.
inline std::string job_room(std::string_view job_id) { return "job:" + std::string(job_id); }

// A job with id `job_id`, owned by `owner` ("" when its data names nobody), has just been
// added. A job id is not unique for ever: Redis numbers a queue's jobs from 1 again after
// it loses its data (a restart without persistence, a failover to a replica that was
// behind), so clients may still be in this room for an earlier job of another user. Every
// member signed in as someone else leaves it, so that none hears this job's events; the
// owner's own clients stay (they may have joined before the relay read the add), and so
// do clients without a user (AUTH_MODE=none, where every room is open to everyone).
// Returns how many left.
std::size_t keep_only_the_owner(socketio::server& sio, std::string_view job_id, std::string_view owner);

}  // namespace drover::api
