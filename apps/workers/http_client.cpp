// http_client.cpp - Beast client over TCP or TLS with deadlines, streaming the body on request.
#include "workers/http_client.hpp"

#include "workers/address_policy.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using net::ip::tcp;

namespace drover::workers {

namespace {

struct target {
  bool tls = false;
  std::string host, port, path;
};

target parse_target(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) throw bad_destination(fmt::format("invalid URL '{}'", url));
  target t;
  if (u->scheme() == "https") {
    t.tls = true;
  } else if (u->scheme() != "http") {
    throw bad_destination(fmt::format("unsupported URL scheme '{}' (http or https only)", std::string(u->scheme())));
  }
  switch (u->host_type()) {
    case boost::urls::host_type::ipv4: t.host = u->host_ipv4_address().to_string(); break;
    case boost::urls::host_type::ipv6: t.host = u->host_ipv6_address().to_string(); break;
    default: t.host = std::string(u->host_name());
  }
  if (t.host.empty()) throw bad_destination(fmt::format("URL '{}' has no host", url));
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = std::string(u->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

ssl::context& tls_context() {
  static ssl::context ctx = [] {
    ssl::context c(ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(ssl::verify_peer);
    return c;
  }();
  return ctx;
}

using clock = std::chrono::steady_clock;

// The time the next step may take: its own limit, cut short by the whole exchange's.
std::chrono::milliseconds budget(std::chrono::milliseconds step, std::optional<clock::time_point> deadline) {
  if (!deadline) return step;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock::now());
  return std::max(std::chrono::milliseconds(1), std::min(step, left));
}

template <class Stream>
net::awaitable<http_response> exchange(Stream& stream, beast::tcp_stream& tcp, const target& t, http_request& req,
                                       std::optional<clock::time_point> deadline,
                                       const std::function<void(std::string_view)>& on_data) {
  http::request<http::string_body> msg{http::string_to_verb(req.method), t.path, 11};
  msg.set(http::field::host, t.host);
  msg.set(http::field::user_agent, "drover-workers");
  for (const auto& [k, v] : req.headers) msg.set(k, v);
  msg.body() = std::move(req.body);
  msg.prepare_payload();

  boost::system::error_code ec;
  tcp.expires_after(budget(req.read_timeout, deadline));
  co_await http::async_write(stream, msg, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw transport_error("sending the request failed: " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  tcp.expires_after(budget(req.read_timeout, deadline));
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw transport_error(ec == beast::error::timeout ? std::string("no answer in time") : "reading the answer failed: " + ec.message());

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
    tcp.expires_after(budget(req.read_timeout, deadline));  // a silent server times out; a slow stream does not
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      throw transport_error(ec == beast::error::timeout ? std::string("the answer stalled") : "reading the body failed: " + ec.message());
    }
    std::size_t n = sizeof chunk - parser.get().body().size;
    if (n == 0) continue;
    if (on_data && out.status >= 200 && out.status < 300) {
      on_data(std::string_view(chunk, n));
    } else {
      out.body.append(chunk, n);
    }
  }
  co_return out;
}

// getaddrinfo has no deadline of its own; a timer cancels the lookup instead. The
// resolver is shared with the timer's handler, which may run after this returns.
net::awaitable<std::vector<tcp::endpoint>> resolve(net::any_io_executor ex, const target& t,
                                                   std::chrono::milliseconds deadline) {
  auto resolver = std::make_shared<tcp::resolver>(ex);
  net::steady_timer timer(ex);
  timer.expires_after(deadline);
  auto timed_out = std::make_shared<bool>(false);
  timer.async_wait([resolver, timed_out](boost::system::error_code ec) {
    if (ec) return;
    *timed_out = true;
    resolver->cancel();
  });
  boost::system::error_code ec;
  auto results = co_await resolver->async_resolve(t.host, t.port, net::redirect_error(net::use_awaitable, ec));
  timer.cancel();
  if (*timed_out) throw transport_error(fmt::format("cannot resolve {}: no answer in {} ms", t.host, deadline.count()));
  if (ec) throw transport_error(fmt::format("cannot resolve {}: {}", t.host, ec.message()));
  std::vector<tcp::endpoint> out;
  for (const auto& r : results) out.push_back(r.endpoint());
  co_return out;
}

// Every address must pass: a name that resolves to a public and a private address is
// treated as pointing inside.
void check_destination(const address_policy& policy, const target& t, const std::vector<tcp::endpoint>& endpoints) {
  if (policy.host_allowed(t.host, t.port)) return;
  for (const auto& e : endpoints) {
    if (auto why = policy.refusal(e.address())) {
      throw bad_destination(fmt::format("refusing to connect to {} ({} is {}); allowlist it in "
                                              "WEBHOOK_ALLOWED_HOSTS if this is intended",
                                              t.host, e.address().to_string(), *why));
    }
  }
}

}  // namespace

net::awaitable<http_response> fetch(net::any_io_executor ex, http_request req,
                                    std::function<void(std::string_view)> on_data) {
  auto t = parse_target(req.url);
  std::optional<clock::time_point> deadline;
  if (req.total_timeout.count() > 0) deadline = clock::now() + req.total_timeout;
  const auto resolve_budget = budget(req.connect_timeout, deadline);  // named: no temporaries in co_await (GCC 12)
  auto endpoints = co_await resolve(ex, t, resolve_budget);
  if (req.destinations) check_destination(*req.destinations, t, endpoints);
  boost::system::error_code ec;

  if (!t.tls) {
    beast::tcp_stream stream(ex);
    stream.expires_after(budget(req.connect_timeout, deadline));
    co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) throw transport_error(fmt::format("cannot connect to {}:{}: {}", t.host, t.port, ec.message()));
    auto res = co_await exchange(stream, stream, t, req, deadline, on_data);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return res;
  }
  beast::ssl_stream<beast::tcp_stream> stream(ex, tls_context());
  if (!SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str())) {
    throw transport_error("cannot set the TLS server name");
  }
  stream.set_verify_callback(ssl::host_name_verification(t.host));
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(budget(req.connect_timeout, deadline));
  co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw transport_error(fmt::format("cannot connect to {}:{}: {}", t.host, t.port, ec.message()));
  co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw transport_error(fmt::format("TLS handshake with {} failed: {}", t.host, ec.message()));
  auto res = co_await exchange(stream, tcp, t, req, deadline, on_data);
  co_return res;
}

}  // namespace drover::workers
