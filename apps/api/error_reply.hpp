// error_reply.hpp - the one place a failure that escaped a route becomes an HTTP answer.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "httpd/http_types.hpp"

namespace drover::api {

// The chat API answers an engine refusal about a job as 503/400 only: its callers see
// job ids they were given, so "not found" there means Redis lost data. The dashboard's
// operators act on jobs that can vanish or move between two clicks, so it tells them.
struct error_reply_policy {
  bool job_state_errors = false;  // job_not_found -> 404, not_in_state / lock errors -> 409
};

// The 503's message when an add was not confirmed by enough replicas (errc::not_replicated):
// the job may exist all the same, so a retry may make two.
inline constexpr const char* not_replicated_message =
    "Queue not replicated: Redis's replicas did not confirm the job in time, and it may still run; try again "
    "shortly";

// What went wrong with Redis, for a 503 that names no host: "Redis did not answer" for an
// outage or a timeout, "Redis refused the command" for an error reply (out of memory, an
// ACL without the permission, a read-only replica): an operator told that Redis was away
// looks for the wrong fault. The log line beside the answer has Redis's own words.
const char* redis_failure_text(const std::exception& failure);

// The 503 text of a queue call that failed: "Queue unavailable: " and a refusal that lasts
// until the operator acts in its own words (out of memory, an ACL), else what went wrong
// and "try again shortly". For the routes and for the upload's own answer.
std::string queue_unavailable_text(const std::exception& failure);

// The reply for `failure`: an http_error keeps its status; invalid arguments are 400;
// Redis and database outages, and adds not replicated, are 503 with a message that names no host (details go to
// the log); anything else is a logged 500.
httpd::response error_reply(const httpd::request& req, std::exception_ptr failure, error_reply_policy policy = {});

}  // namespace drover::api
