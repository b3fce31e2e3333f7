// error_reply.cpp - failures to JSON answers, shared by the chat API and the dashboard API.
#include "api/error_reply.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>

#include <drover/error.hpp>
#include <drover_app/blocking_call.hpp>
#include <drover_app/db/database.hpp>
#include <drover_app/logging/log_throttle.hpp>
#include <drover_app/redis_refusal.hpp>

#include "api/http_error.hpp"

namespace drover::api {

namespace http = httpd::http;
using httpd::error_response;

namespace {

// The query string is left out of logs: it can carry search terms and paging cursors
// nobody needs in an incident timeline.
std::string route_of(const httpd::request& req) {
  std::string_view target = req.target();
  return std::string(req.method_string()) + " " + std::string(target.substr(0, target.find('?')));
}

// One line per outage and kind every few seconds, not one per failed request.
constexpr auto outage_log_period = std::chrono::seconds(5);
app::log_throttle queue_outage_log{outage_log_period};
app::log_throttle replication_outage_log{outage_log_period};
app::log_throttle database_outage_log{outage_log_period};

void warn_throttled(app::log_throttle& throttle, const httpd::request& req, std::string_view what,
                    std::string_view detail) {
  throttle.warn("{}: {}: {}", route_of(req), what, detail);
}

}  // namespace

const char* redis_failure_text(const std::exception& failure) {
  const auto* e = dynamic_cast<const error*>(&failure);
  const bool refused = e && (e->is(errc::redis_error) || e->is(errc::script_error) || e->is(errc::protocol_error));
  return refused ? "Redis refused the command" : "Redis did not answer";
}

std::string queue_unavailable_text(const std::exception& failure) {
  // A refusal that lasts until the operator acts (an ACL, maxmemory, a replica) is named
  // as such, not "try again shortly" (an operator's review of an ACL without CLIENT LIST);
  // one that passes is named too, with the advice.
  const auto* e = dynamic_cast<const error*>(&failure);
  if (const auto why = e ? app::redis_refusal(*e) : std::nullopt) {
    return app::refusal_passes(*e) ? fmt::format("Queue unavailable: {}; try again shortly", *why)
                                   : fmt::format("Queue unavailable: {}", *why);
  }
  return fmt::format("Queue unavailable: {}; try again shortly", redis_failure_text(failure));
}

httpd::response error_reply(const httpd::request& req, std::exception_ptr failure, error_reply_policy policy) {
  try {
    std::rethrow_exception(failure);
  } catch (const http_error& e) {
    auto res = error_response(req, e.status(), e.what());
    for (const auto& [name, value] : e.headers()) res.set(name, value);
    return res;
  } catch (const error& e) {
    if (e.is(errc::invalid_argument)) return error_response(req, http::status::bad_request, e.what());
    if (policy.job_state_errors) {
      if (e.is(errc::job_not_found)) return error_response(req, http::status::not_found, e.what());
      if (e.is(errc::not_in_state) || e.is(errc::lock_missing) || e.is(errc::lock_mismatch)) {
        return error_response(req, http::status::conflict, e.what());
      }
    }
    if (e.is(errc::not_replicated)) {
      warn_throttled(replication_outage_log, req, "add not replicated", e.what());
      return error_response(req, http::status::service_unavailable, not_replicated_message);
    }
    warn_throttled(queue_outage_log, req, "queue unavailable", e.what());
    return error_response(req, http::status::service_unavailable, queue_unavailable_text(e));
  } catch (const app::database_error& e) {
    warn_throttled(database_outage_log, req, "database unavailable", e.what());
    return error_response(req, http::status::service_unavailable, "Database unavailable; try again shortly");
  } catch (const app::deadline_exceeded&) {
    warn_throttled(database_outage_log, req, "database unavailable", "no answer in time");
    // The statement goes on without us (SQLite cannot be interrupted, PostgreSQL's
    // statement_timeout is longer): a send it was storing may be stored after all
    // (an operator's review: a retry without a key stored the message twice).
    return error_response(req, http::status::service_unavailable,
                          "Database unavailable: no answer in time, and what was asked may still be done: check "
                          "before sending it again (a send retried with its Idempotency-Key header is stored once)");
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", route_of(req), e.what());
    return error_response(req, http::status::internal_server_error, "Internal error");
  }
}

}  // namespace drover::api
