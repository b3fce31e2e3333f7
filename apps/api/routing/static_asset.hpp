// static_asset.hpp - the one responder for the pages and scripts embedded in the binary.
#pragma once

#include <string_view>

#include "httpd/http_types.hpp"

namespace drover::api {

// How strictly a page is fenced in. No page may be framed by another site; a dashboard
// page, which acts with an operator's credentials, also refuses any script or style from
// elsewhere.
enum class page_policy { plain, strict };

// 200 with the embedded file `name` (its type from its extension, revalidated on every
// load, never sniffed), or a JSON 404 when there is no such file.
httpd::response static_asset(const httpd::request& req, std::string_view name, page_policy policy = page_policy::plain);

// An HTML page made at run time, under the same headers as static_asset's.
httpd::response html_page(const httpd::request& req, httpd::http::status status, std::string body,
                          page_policy policy = page_policy::plain);

}  // namespace drover::api
