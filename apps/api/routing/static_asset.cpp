// static_asset.cpp - serving the embedded web files (apps/api/web, generated into the binary).
#include "api/routing/static_asset.hpp"

#include <optional>
#include <string>

namespace drover::api {

std::optional<std::string_view> web_asset(std::string_view path);  // generated

namespace http = httpd::http;

namespace {

const char* content_type_of(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

httpd::response reply(const httpd::request& req, http::status status, const char* type, std::string body,
                      page_policy policy) {
  httpd::response res{status, req.version()};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");  // tokens travel in URL fragments; keep URLs to ourselves
  // No page of ours is framed by another site (clickjacking a send or a sign-in).
  res.set(http::field::x_frame_options, "DENY");
  if (policy == page_policy::strict) {
    res.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  } else {
    res.set("Content-Security-Policy", "frame-ancestors 'none'");
  }
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

httpd::response static_asset(const httpd::request& req, std::string_view name, page_policy policy) {
  auto body = web_asset(name);
  if (!body) return httpd::error_response(req, http::status::not_found, "Not found");
  return reply(req, http::status::ok, content_type_of(name), std::string(*body), policy);
}

httpd::response html_page(const httpd::request& req, http::status status, std::string body, page_policy policy) {
  return reply(req, status, "text/html; charset=utf-8", std::move(body), policy);
}

}  // namespace drover::api
