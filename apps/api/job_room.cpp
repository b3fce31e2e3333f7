// job_room.cpp - see job_room.hpp.
#include "api/job_room.hpp"

namespace drover::api {

std::size_t keep_only_the_owner(socketio::server& sio, std::string_view job_id, std::string_view owner) {
  const auto room = job_room(job_id);
  std::size_t left = 0;
  for (const auto& member : sio.members(room)) {
    const auto user = sio.user_of(member);
    // The same rule as caller::owns: a job whose data names nobody is nobody's.
    if (!user || (!owner.empty() && *user == owner)) continue;
    sio.leave(member, room);
    ++left;
  }
  return left;
}

std::size_t keep_only_later_joiners(socketio::server& sio, std::string_view job_id, std::int64_t added_at_ms) {
  const auto room = job_room(job_id);
  std::size_t left = 0;
  for (const auto& member : sio.members(room)) {
    const auto joined = sio.joined_at(member, room);
    if (!sio.user_of(member) || (joined && *joined >= added_at_ms)) continue;
    sio.leave(member, room);
    ++left;
  }
  return left;
}

}  // namespace drover::api
