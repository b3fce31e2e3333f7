// job_room.cpp - see job_room.hpp.
#include "api/job_room.hpp"

#include <boost/json/array.hpp>

#include <optional>
#include <utility>

namespace drover::api {

namespace {

// Makes every signed-in member of the job's room for which `goes(member, user)` holds
// leave it; clients without a user stay. Returns how many left.
template <class Goes>
std::size_t leave_where(socketio::server& sio, std::string_view job_id, Goes goes) {
  const auto room = job_room(job_id);
  std::size_t left = 0;
  for (const auto& member : sio.members(room)) {
    const auto user = sio.user_of(member);
    if (!user || !goes(member, room, *user)) continue;
    sio.leave(member, room);
    ++left;
  }
  return left;
}

}  // namespace

std::size_t keep_only_the_owner(socketio::server& sio, std::string_view job_id, std::string_view owner) {
  // The same rule as caller::owns: a job whose data names nobody is nobody's.
  return leave_where(sio, job_id, [&](const socketio::client_id&, const std::string&, const std::string& user) {
    return owner.empty() || user != owner;
  });
}

std::size_t keep_only_later_joiners(socketio::server& sio, std::string_view job_id, std::int64_t added_at_ms) {
  return leave_where(sio, job_id, [&](const socketio::client_id& member, const std::string& room, const std::string&) {
    const auto joined = sio.joined_at(member, room);
    return !joined || *joined < added_at_ms;
  });
}

void end_job_room(socketio::server& sio, std::string_view job_id, std::string_view event, boost::json::object payload) {
  const auto room = job_room(job_id);
  boost::json::array args;
  args.push_back(std::move(payload));
  sio.emit_to_room(room, event, std::move(args));
  for (const auto& member : sio.members(room)) sio.leave(member, room);
}

void fail_job_room(socketio::server& sio, std::string_view job_id, std::string reason) {
  boost::json::object payload;
  payload["jobId"] = job_id;
  payload["error"] = std::move(reason);
  end_job_room(sio, job_id, "job-failed", std::move(payload));
}

}  // namespace drover::api
