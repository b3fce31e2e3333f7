// document_routes.hpp - the documents API: upload a document for processing, read its
// status, metadata and text.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "httpd/http_types.hpp"

namespace drover::api {

class api_server;
using httpd::request;
using httpd::response;

struct document_routes {
  // POST /api/documents: a raw body with its Content-Type (file name from ?filename= or
  // Content-Disposition), or multipart/form-data with one file part; conversationId as
  // a form field or query parameter. 202 {documentId, jobId, status}; 400 malformed,
  // 413 over the limit, 415 a type we cannot read.
  static boost::asio::awaitable<response> upload(api_server& app, const request& req);
  // GET /api/documents/:id: status, metadata, extracted text, and the job's state.
  static boost::asio::awaitable<response> get(api_server& app, const request& req, std::string id);
  // The body limit the HTTP layer applies to an upload: the document limit plus room
  // for multipart framing.
  static std::size_t upload_body_limit(std::size_t document_limit) { return document_limit + 64 * 1024; }
};

}  // namespace drover::api
