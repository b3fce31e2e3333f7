// request_body.hpp - the one reader of JSON request bodies.
#pragma once

#include <boost/json/object.hpp>

#include "httpd/http_types.hpp"

namespace drover::api {

enum class body_presence { required, optional };

// The body as a JSON object. Required: the Content-Type must be application/json (415)
// and the body a JSON object (400 naming the parse error). Optional: an empty body is
// an empty object, and a body that is there must be a JSON object.
// Throws http_error.
boost::json::object json_object_body(const httpd::request& req, body_presence presence = body_presence::required);

}  // namespace drover::api
