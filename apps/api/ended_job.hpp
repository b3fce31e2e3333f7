// ended_job.hpp - a chat job Redis no longer keeps, as the database recorded its end.
//
// Redis keeps a chat job an hour after it completes (chat_routes.cpp); its record lives
// on in job_logs, written by the events relay and by the answer's webhook. The status
// route and a Socket.IO job subscription read it there, with the owner checked as for a
// job still in Redis.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "api/api_context.hpp"
#include "api/routing/route_request.hpp"

namespace drover::api {

struct ended_job {
  std::string status;           // as GET /api/chat/job/:id says it: completed, failed, waiting, active
  boost::json::object outcome;  // {"result": ...} when completed, {"error": ...} when failed, else empty
};

// The job's record when `who` owns it; std::nullopt when there is none or it is
// someone else's (alike, as for jobs in Redis). Call it once Redis has answered that the
// job is not there: a record still waiting or running, and not updated for a few
// seconds, is then made failed (the job was removed without an event, by a drain or a
// clean).
boost::asio::awaitable<std::optional<ended_job>> ended_chat_job(api_context& app, const caller& who,
                                                                const std::string& job_id);

}  // namespace drover::api
