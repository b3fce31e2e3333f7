// job_room.hpp - the Socket.IO room of a chat job, and who may stay in it when its id
// comes to name another job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "api/socketio/server.hpp"

namespace drover::api {

// "job:<id>": where job-progress, job-completed and job-failed of job <id> go.
inline std::string job_room(std::string_view job_id) { return "job:" + std::string(job_id); }

// A job with id `job_id` has just been added (its "added" entry, at `added_at_ms` on
// Redis's clock). A job id is not unique for ever: Redis numbers a queue's jobs from 1
// again after it loses its data (a restart without persistence, a failover to a replica
// that was behind), so clients may still be in this room for an earlier job of another
// user, and none of them may hear this job's events. Clients without a user stay
// (AUTH_MODE=none, where every room is open to everyone). Each returns how many left.
//
// The new job's owner is known (`owner`, "" when its data names nobody): every member
// signed in as someone else leaves; the owner's own clients stay (they may have joined
// before the relay read the add).
std::size_t keep_only_the_owner(socketio::server& sio, std::string_view job_id, std::string_view owner);
// The new job was gone before its owner could be read (removed at once, or read an hour
// late): every signed-in member that joined before the add leaves (its check was of an
// earlier job); those that joined after were checked against this one.
std::size_t keep_only_later_joiners(socketio::server& sio, std::string_view job_id, std::int64_t added_at_ms);

// Job <job_id> has ended: its final event (`event`: job-completed or job-failed, with
// `payload`, which names the job) goes to its room, and every member leaves it, so that a
// finished job holds none of a client's rooms (SOCKETIO_MAX_ROOMS_PER_SOCKET; a chat page
// that subscribed to each of its answers was refused from its 100th on). A job run again
// later (retried from the dashboard) is subscribed to again; its id's record answers at
// once meanwhile.
void end_job_room(socketio::server& sio, std::string_view job_id, std::string_view event, boost::json::object payload);
// end_job_room with job-failed {jobId, error: reason}.
void fail_job_room(socketio::server& sio, std::string_view job_id, std::string reason);

}  // namespace drover::api
