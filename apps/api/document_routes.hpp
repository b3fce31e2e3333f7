// document_routes.hpp - the documents API: upload a document for processing, read its
// status, metadata and text.
#pragma once

#include <cstddef>

#include "api/api_context.hpp"
#include "api/routing/route_table.hpp"

namespace drover::api {

// Adds the documents API's routes to `table`; the handlers keep a reference to `app`.
//   POST /api/documents  user: a raw body with its Content-Type (file name from
//     ?filename= or Content-Disposition), or multipart/form-data with one file part;
//     conversationId as a form field or query parameter (the caller's conversation: a
//     new id starts one, someone else's is 404). 202 {documentId, jobId, status}; 400
//     malformed, 413 over the limit, 415 a type we cannot read.
//   GET /api/documents/:documentId  user, the uploader only: status, metadata,
//     extracted text, and the job's state.
void add_document_routes(route_table& table, api_context& app);

}  // namespace drover::api
