// chat_routes.hpp - the chat API: send a message, poll or cancel its job, read the
// history, store an assessment, receive the job-completed webhook, readiness.
#pragma once

#include "api/api_context.hpp"
#include "api/routing/route_table.hpp"

namespace drover::api {

// Adds the chat API's routes to `table`; the handlers keep a reference to `app`.
//   POST   /api/chat/send                          user; the body's userId must be the caller
//   GET    /api/chat/job/:jobId                    user; the job's owner only (404 otherwise)
//   DELETE /api/chat/job/:jobId                    user; the job's owner only (cancel_route.cpp)
//   GET    /api/conversations/:conversationId/messages  user; the conversation's owner only
//   PUT    /api/users/:userId/assessment           user; the caller's own only (403)
//   POST   /api/webhooks/job-completed             signed (WEBHOOK_SECRET)
//   GET    /readyz                                 open; says which dependency is away
void add_chat_routes(route_table& table, api_context& app);

// DELETE /api/chat/job/:jobId (cancel_route.cpp).
boost::asio::awaitable<httpd::response> cancel_chat_job(api_context& app, route_request& r);

}  // namespace drover::api
