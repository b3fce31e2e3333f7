// A failure that escaped a route, as the HTTP answer the client gets.
#include "api/error_reply.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <drover/error.hpp>

#include <drover_app/blocking_call.hpp>

#include "api/http_error.hpp"

namespace drover::api {
namespace {

namespace http = httpd::http;

httpd::response reply_to(std::exception_ptr failure) {
  httpd::request req{http::verb::get, "/api/chat/job/1?x=secret", 11};
  return error_reply(req, failure);
}

std::string error_text(const httpd::response& res) {
  return std::string(boost::json::parse(res.body()).as_object().at("error").as_string());
}

TEST(ErrorReply, AnOutageSaysRedisDidNotAnswer) {
  for (auto code : {errc::redis_unavailable, errc::redis_timeout}) {
    auto res = reply_to(std::make_exception_ptr(error(code, "cannot connect: 127.0.0.1:6379")));
    EXPECT_EQ(res.result(), http::status::service_unavailable);
    EXPECT_EQ(error_text(res), "Queue unavailable: Redis did not answer; try again shortly");
  }
}

// NOPERM or OOM is Redis answering: "did not answer" sent operators looking for a network fault.
TEST(ErrorReply, AnErrorReplySaysRedisRefusedWithoutItsWords) {
  auto res = reply_to(std::make_exception_ptr(error(errc::redis_error, "redis at 10.0.0.7:6379: ERR something odd")));
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(error_text(res), "Queue unavailable: Redis refused the command; try again shortly");
  // A refusal that lasts until the operator acts is named, not "try again shortly" (a
  // deployment review's ACL without CLIENT LIST), still without Redis's own words.
  auto acl = reply_to(std::make_exception_ptr(
      error(errc::redis_error,
            "redis at 10.0.0.7:6379: NOPERM this user has no permissions to run the 'client|list' command")));
  EXPECT_EQ(acl.result(), http::status::service_unavailable);
  EXPECT_EQ(error_text(acl),
            "Queue unavailable: Redis's ACL does not allow drover's user a command (NOPERM): grant the commands "
            "docs/deployment.md lists");
  EXPECT_EQ(std::string(redis_failure_text(error(errc::script_error, "x"))), "Redis refused the command");
  EXPECT_EQ(std::string(redis_failure_text(std::runtime_error("x"))), "Redis did not answer");
}

// The statement goes on after the deadline: an operator's review retried a send told
// "unavailable" without its key and the message was stored twice.
TEST(ErrorReply, ADatabaseThatDidNotAnswerInTimeMayStillDoWhatWasAsked) {
  auto res = reply_to(std::make_exception_ptr(app::deadline_exceeded("saving a message")));
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(error_text(res),
            "Database unavailable: no answer in time, and what was asked may still be done: check before sending it "
            "again (a send retried with its Idempotency-Key header is stored once)");
}

TEST(ErrorReply, BadInputIsA400AndAnHttpErrorKeepsItsStatus) {
  EXPECT_EQ(reply_to(std::make_exception_ptr(error(errc::invalid_argument, "bad"))).result(),
            http::status::bad_request);
  EXPECT_EQ(reply_to(std::make_exception_ptr(http_error(http::status::conflict, "busy"))).result(),
            http::status::conflict);
}

}  // namespace
}  // namespace drover::api
