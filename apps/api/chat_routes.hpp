// chat_routes.hpp - the handlers of the chat API, one function per route.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "httpd/http_types.hpp"

namespace drover::api {

class api_server;
using httpd::request;
using httpd::response;

struct chat_routes {
  static boost::asio::awaitable<response> send(api_server& app, const request& req);
  static boost::asio::awaitable<response> job_status(api_server& app, const request& req, std::string job_id);
  // cancel_route.cpp
  static boost::asio::awaitable<response> cancel_job(api_server& app, const request& req, std::string job_id);
  static boost::asio::awaitable<response> history(api_server& app, const request& req, std::string conversation_id);
  static boost::asio::awaitable<response> put_assessment(api_server& app, const request& req, std::string user_id);
  static boost::asio::awaitable<response> job_completed_webhook(api_server& app, const request& req);
  static boost::asio::awaitable<response> ready(api_server& app, const request& req);
};

}  // namespace drover::api
