// webhook_routes.hpp - what the API shows of outbound webhook deliveries.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "httpd/http_types.hpp"

namespace drover::api {

class api_server;
using httpd::request;
using httpd::response;

struct webhook_routes {
  // GET /api/webhooks/deliveries/:deliveryId - a webhook-delivery job with its state and
  // every attempt (the JSON lines its processor logs). The job-completed webhook of chat
  // job N is delivery `job-completed-N`.
  static boost::asio::awaitable<response> delivery(api_server& app, const request& req, std::string delivery_id);
};

}  // namespace drover::api
