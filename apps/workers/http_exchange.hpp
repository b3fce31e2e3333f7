// http_exchange.hpp - the inside of http_client.cpp: one HTTP exchange over a connected
// stream, written once for plain TCP (http_client.cpp) and TLS (http_client_tls.cpp).
// Two translation units, so that the two instantiations of Beast's HTTP client compile in
// parallel; together they were the build's heaviest unit. Only this folder includes it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workers/http_client.hpp"

namespace drover::workers::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct target {
  bool tls = false;
  std::string host, port, path;
};

using clock = std::chrono::steady_clock;

// The time the next step may take: its own limit, cut short by the whole exchange's.
std::chrono::milliseconds budget(std::chrono::milliseconds step, std::optional<clock::time_point> deadline);

template <class Stream>
net::awaitable<http_response> exchange(Stream& stream, beast::tcp_stream& tcp, const target& t, http_request& req,
                                       std::optional<clock::time_point> deadline,
                                       const std::function<void(std::string_view)>& on_data) {
  http::request<http::string_body> msg{http::string_to_verb(req.method), t.path, 11};
  // RFC 9110 7.2: the port unless it is the scheme's default; an IPv6 address in brackets.
  const std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  msg.set(http::field::host, t.port == (t.tls ? "443" : "80") ? host : host + ":" + t.port);
  msg.set(http::field::user_agent, "drover-workers");
  for (const auto& [k, v] : req.headers) msg.set(k, v);
  msg.body() = std::move(req.body);
  msg.prepare_payload();

  boost::system::error_code ec;
  tcp.expires_after(budget(req.read_timeout, deadline));
  co_await http::async_write(stream, msg, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw transport_error("sending the request failed: " + ec.message(), ec == beast::error::timeout);

  // Bounded: Beast limits neither a chunk's size line nor the trailer fields, and throws
  // from inside its read (ending the process) on a trailer field of 64 KiB, which any
  // user's webhook receiver could send. Over the bound the read fails instead.
  beast::flat_buffer buffer(32 * 1024);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  tcp.expires_after(budget(req.read_timeout, deadline));
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec)
    throw transport_error(
        ec == beast::error::timeout ? std::string("no answer in time") : "reading the answer failed: " + ec.message(),
        ec == beast::error::timeout);

  http_response out;
  out.status = parser.get().result_int();
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    out.headers[name] = std::string(f.value());
  }
  char chunk[8192];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    // async_read_some, not async_read: async_read returns only once the chunk is full or
    // the body has ended, so a stream slower than 8 KiB per timeout timed out however
    // often it spoke, and its pieces reached on_data only at the end. Each read here
    // hands over what has arrived: a silent server times out, a slow stream does not.
    tcp.expires_after(budget(req.read_timeout, deadline));
    co_await http::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      throw transport_error(
          ec == beast::error::timeout ? std::string("the answer stalled") : "reading the body failed: " + ec.message(),
          ec == beast::error::timeout);
    }
    std::size_t n = sizeof chunk - parser.get().body().size;
    if (n == 0) continue;
    if (on_data && out.status >= 200 && out.status < 300) {
      on_data(std::string_view(chunk, n));
    } else {
      out.body.append(chunk, n);
      if (req.body_kept != 0 && out.body.size() >= req.body_kept) {
        out.body.resize(req.body_kept);
        out.body_cut = true;
        break;
      }
    }
  }
  co_return out;
}

// The TLS half of fetch (http_client_tls.cpp): connects to `endpoints`, verifies the
// server's certificate for t.host, and runs the exchange.
net::awaitable<http_response> fetch_tls(net::any_io_executor ex, const target& t,
                                        const std::vector<net::ip::tcp::endpoint>& endpoints, http_request& req,
                                        std::optional<clock::time_point> deadline,
                                        const std::function<void(std::string_view)>& on_data);

}  // namespace drover::workers::detail
