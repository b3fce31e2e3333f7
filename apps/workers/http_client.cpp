// http_client.cpp - Beast client over TCP or TLS with deadlines, streaming the body on
// request. The exchange itself is in http_exchange.hpp, the TLS connection in
// http_client_tls.cpp.
#include "workers/http_client.hpp"

#include "workers/address_policy.hpp"
#include "workers/http_exchange.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>

namespace net = boost::asio;
namespace beast = boost::beast;
using net::ip::tcp;

namespace drover::workers {

namespace detail {

std::chrono::milliseconds budget(std::chrono::milliseconds step, std::optional<clock::time_point> deadline) {
  if (!deadline) return step;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock::now());
  return std::max(std::chrono::milliseconds(1), std::min(step, left));
}

}  // namespace detail

namespace {

using detail::budget;
using detail::clock;
using detail::target;

target parse_target(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) throw bad_destination(fmt::format("invalid URL '{}'", url));
  target t;
  // A scheme's case does not matter (RFC 3986 3.1): "HTTPS://" was refused here after the
  // API took it.
  if (u->scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
  } else if (u->scheme_id() != boost::urls::scheme::http) {
    throw bad_destination(fmt::format("unsupported URL scheme '{}' (http or https only)", std::string(u->scheme())));
  }
  switch (u->host_type()) {
    case boost::urls::host_type::ipv4:
      t.host = u->host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      t.host = u->host_ipv6_address().to_string();
      break;
    default:
      t.host = std::string(u->host_name());
  }
  if (t.host.empty()) throw bad_destination(fmt::format("URL '{}' has no host", url));
  t.port = port_of(*u);
  t.path = std::string(u->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

// getaddrinfo has no deadline of its own; a timer cancels the lookup instead. The
// resolver is shared with the timer's handler, which may run after this returns.
net::awaitable<std::vector<tcp::endpoint>> resolve(net::any_io_executor ex, net::any_io_executor lookups,
                                                   const target& t, std::chrono::milliseconds deadline) {
  boost::system::error_code not_an_address;
  const auto address = net::ip::make_address(t.host, not_an_address);
  if (!not_an_address) {
    std::uint16_t port = 0;
    std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
    co_return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};
  }
  // The completion comes back through this coroutine's executor, whichever runs the lookup.
  auto resolver = std::make_shared<tcp::resolver>(lookups ? lookups : ex);
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
  if (*timed_out)
    throw transport_error(fmt::format("cannot resolve {}: no answer in {} ms", t.host, deadline.count()), true);
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
      throw bad_destination(
          fmt::format("refusing to connect to {} ({} is {}); allowlist it in "
                      "WEBHOOK_ALLOWED_HOSTS if this is intended (the API's own receiver is let through where "
                      "the Workers app has the API's PORT or PUBLIC_URL)",
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
  auto endpoints = co_await resolve(ex, req.lookups, t, resolve_budget);
  if (req.destinations) check_destination(*req.destinations, t, endpoints);
  boost::system::error_code ec;

  if (!t.tls) {
    beast::tcp_stream stream(ex);
    stream.expires_after(budget(req.connect_timeout, deadline));
    co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec)
      throw transport_error(fmt::format("cannot connect to {}:{}: {}", t.host, t.port, ec.message()),
                            ec == beast::error::timeout);
    auto res = co_await detail::exchange(stream, stream, t, req, deadline, on_data);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return res;
  }
  auto res = co_await detail::fetch_tls(ex, t, endpoints, req, deadline, on_data);
  co_return res;
}

}  // namespace drover::workers
