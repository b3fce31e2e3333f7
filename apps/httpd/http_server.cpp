// http_server.cpp - the Beast listener and session loop; the only file that reads and writes HTTP.
#include "httpd/http_server.hpp"

#include "httpd/http_metrics.hpp"

#include "httpd/file_limit.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover_app/address_key.hpp>
#include <drover_app/utf8.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using net::ip::tcp;

namespace drover::httpd {

response json_response(const request& req, http::status status, const json::value& body) {
  response res{status, req.version()};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  // A JSON answer echoes what clients wrote (a message, a file name): never read as HTML.
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = drover::serialize_json(body);
  res.prepare_payload();
  return res;
}

response error_response(const request& req, http::status status, const std::string& message) {
  json::object o;
  // A message may quote what the client sent (an Origin, a Content-Type, a search): bytes
  // that are not UTF-8 would make the reply JSON no strict parser reads (an outside review).
  o["error"] = app::valid_utf8(message);
  return json_response(req, status, o);
}

std::int64_t retry_after_seconds(std::chrono::milliseconds wait) {
  const auto ms = std::max<std::int64_t>(wait.count(), 0);
  return std::max<std::int64_t>((ms + 999) / 1000, 1);
}

response too_many_requests_response(const request& req, std::chrono::milliseconds wait) {
  const auto seconds = retry_after_seconds(wait);
  auto res =
      error_response(req, http::status::too_many_requests, fmt::format("Too many requests; retry in {} s", seconds));
  res.set(http::field::retry_after, std::to_string(seconds));
  return res;
}

std::string peer_address(const beast::tcp_stream& stream) {
  boost::system::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  return ec ? std::string() : peer.address().to_string();
}

http_server::http_server(net::any_io_executor ex, server_options opts, request_planner plan,
                         upgrade_filter wants_upgrade, upgrade_handler on_upgrade)
    : ex_(ex),
      opts_(std::move(opts)),
      planner_(std::move(plan)),
      wants_upgrade_(std::move(wants_upgrade)),
      on_upgrade_(std::move(on_upgrade)),
      acceptor_(ex),
      connections_(opts_.max_connections, opts_.max_connections_per_address),
      uploads_(opts_.max_body_bytes_in_flight, opts_.max_body_bytes_per_client) {}

namespace {

net::awaitable<request_plan> plan_to(std::function<net::awaitable<response>(request)> respond) {
  request_plan plan;
  plan.respond = std::move(respond);
  co_return plan;
}

request_planner take_every_request(http_server::handler h) {
  return [h = std::move(h)](const request&, std::string client) {
    return plan_to([h, client = std::move(client)](request req) { return h(std::move(req), client); });
  };
}

}  // namespace

http_server::http_server(net::any_io_executor ex, server_options opts, handler h, upgrade_filter wants_upgrade,
                         upgrade_handler on_upgrade)
    : http_server(ex, std::move(opts), take_every_request(std::move(h)), std::move(wants_upgrade),
                  std::move(on_upgrade)) {}

http_server::~http_server() { stop(); }

void http_server::set_stream_hook(upgrade_filter wants_stream, upgrade_handler on_stream) {
  wants_stream_ = std::move(wants_stream);
  on_stream_ = std::move(on_stream);
}

namespace {

// What went wrong, in the words of an operator's fix; Asio's own text otherwise, without
// the source location its exceptions carry.
std::string listen_failure(const boost::system::error_code& ec) {
  if (ec == net::error::address_in_use) return "address already in use (another process listens there)";
  if (ec == net::error::access_denied) return "permission denied (ports below 1024 need privileges)";
  if (ec == boost::system::errc::address_not_available) return "the address is not one of this machine's";
  return ec.message();
}

}  // namespace

net::ip::address listen_address(const std::string& bind, std::string_view setting) {
  boost::system::error_code ec;
  auto address = net::ip::make_address(bind == "localhost" ? std::string("127.0.0.1") : bind, ec);
  if (ec) {
    throw error(errc::invalid_argument,
                fmt::format("cannot listen on {}: {} must be an IP address (e.g. 127.0.0.1 or ::1), not a host name",
                            bind, setting));
  }
  return address;
}

void http_server::start() {
  const bool v6 = opts_.bind.find(':') != std::string::npos;
  const auto where = v6 ? fmt::format("[{}]:{}", opts_.bind, opts_.port) : fmt::format("{}:{}", opts_.bind, opts_.port);
  boost::system::error_code ec;
  tcp::endpoint ep(listen_address(opts_.bind, opts_.bind_setting), opts_.port);
  const auto failed = [&](const boost::system::error_code& e) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return error(errc::invalid_argument, fmt::format("cannot listen on {}: {}", where, listen_failure(e)));
  };
  if (opts_.max_connections > 0) {
    const auto limit = ensure_file_limit(descriptors_needed(opts_.max_connections));
    if (!limit.enough) {
      spdlog::warn("http {}: {}", where, limit.message);
    } else if (!limit.message.empty()) {
      spdlog::info("http {}: {}", where, limit.message);
    }
  }
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw failed(ec);
  net::co_spawn(ex_, accept_loop(), net::detached);
}

void http_server::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

net::awaitable<void> http_server::finish_answers(std::chrono::steady_clock::time_point deadline) {
  if (answering_ == 0) co_return;
  net::steady_timer finished(ex_);
  finished.expires_at(deadline);
  answers_finished_ = &finished;
  boost::system::error_code ec;
  co_await finished.async_wait(net::redirect_error(net::use_awaitable, ec));
  answers_finished_ = nullptr;
  if (answering_ > 0) spdlog::warn("http: stopped with {} request(s) still being answered", answering_);
}

std::uint16_t http_server::port() const { return acceptor_.local_endpoint().port(); }

net::awaitable<void> http_server::accept_loop() {
  while (!stopped_) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (stopped_) co_return;
      spdlog::warn("http: accept failed: {}", ec.message());
      // Out of descriptors, typically: retrying at once would spin.
      net::steady_timer pause(ex_, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    boost::system::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) continue;  // already gone
    connection_limits::slot slot;
    const auto verdict = connections_.admit(peer.address().to_string(), slot);
    if (verdict != connection_limits::verdict::admitted && refusing_ >= max_refusing()) {
      // A flood: answering each one would hold a descriptor for seconds; just close.
      socket.close(peer_ec);
      continue;
    }
    auto work = verdict == connection_limits::verdict::admitted
                    ? session(std::move(socket), std::move(slot), peer.address().to_string())
                    : refuse(std::move(socket), verdict);
    net::co_spawn(ex_, std::move(work), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::warn("http: session ended: {}", ex.what());
      }
    });
  }
}

namespace {

// After refusing an upload: stop sending, then read and drop what the client still
// sends, for at most `limit` and `max_bytes`. Closing a socket with unread data makes
// the kernel reset the connection, and the client, busy sending, would see the reset
// instead of the answer.
net::awaitable<void> drain(beast::tcp_stream& stream, std::chrono::milliseconds limit = std::chrono::seconds(2),
                           std::size_t max_bytes = 64 * 1024 * 1024) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(limit);
  std::vector<char> sink(64 * 1024);
  auto into = net::buffer(sink);
  std::size_t total = 0;
  while (!ec && total < max_bytes) {
    std::size_t n = co_await stream.async_read_some(into, net::redirect_error(net::use_awaitable, ec));
    total += n;
  }
}

// The most bytes a connection holds that the parser has not taken yet: the header (16
// KiB), then a chunk's size line or the trailer fields. Beast limits neither of the last
// two, and throws from inside its read (ending the process) on a trailer field of 64 KiB:
// one unauthenticated request could hold a gigabyte, or stop the server. A body passes
// through in pieces of this size.
constexpr std::size_t max_unparsed_bytes = 32 * 1024;
// Bytes a second a body must keep arriving at, past the read timeout (256 kbit/s).
constexpr std::size_t min_body_rate = 32 * 1024;

// Whether the request's body is framed in a way both this server and any proxy in front
// of it read alike: no Transfer-Encoding, or exactly "chunked", over HTTP/1.1. Beast reads
// any other coding list (`xchunked`, `gzip`, `chunked, identity`) as no body at all, so
// the bytes a proxy forwarded as the body would be run as a request of their own (request
// smuggling); RFC 9112 section 6.1 says to answer 400 and close, and to treat any
// Transfer-Encoding in an HTTP/1.0 message as faulty framing.
bool framed_unambiguously(const http::request_header<>& h) {
  std::size_t codings = 0;
  bool chunked = false;
  const auto [first, last] = h.equal_range(http::field::transfer_encoding);
  for (auto it = first; it != last; ++it) {
    ++codings;
    auto v = it->value();
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    chunked = beast::iequals(v, "chunked");
  }
  return codings == 0 || (codings == 1 && chunked && h.version() >= 11);
}

// RFC 9112 section 3.2: an HTTP/1.1 request names its host exactly once; a request whose
// target is in absolute form ("http://host/path", as sent to a proxy) names it there, and
// is served as its path. False for a request to answer 400.
bool host_named_once(http::request_header<>& h) {
  const auto target = h.target();
  const auto scheme_end = target.find("://");
  if (scheme_end != beast::string_view::npos && !target.empty() && target.front() != '/') {
    const auto scheme = target.substr(0, scheme_end);
    if (!beast::iequals(scheme, "http") && !beast::iequals(scheme, "https")) return false;
    const auto authority_start = scheme_end + 3;
    auto path_start = target.find_first_of("/?", authority_start);
    const auto authority =
        target.substr(authority_start,
                      path_start == beast::string_view::npos ? beast::string_view::npos : path_start - authority_start);
    // A user name and password are no part of the host (RFC 9110 4.2.4 forbids them).
    const auto at = authority.rfind('@');
    if (at != beast::string_view::npos) return false;
    if (authority.empty()) return false;
    std::string path =
        path_start == beast::string_view::npos ? std::string("/") : std::string(target.substr(path_start));
    if (path.front() == '?') path.insert(0, "/");
    h.set(http::field::host, authority);
    h.target(path);
    return true;
  }
  const auto hosts = h.count(http::field::host);
  return hosts == 1 || (hosts == 0 && h.version() < 11);
}

}  // namespace

bool names_no_rebindable_host(std::string_view host) {
  std::string_view name = host;
  if (name.starts_with('[')) {
    const auto end = name.find(']');
    if (end == std::string_view::npos) return false;
    boost::system::error_code ec;
    net::ip::make_address_v6(std::string(name.substr(1, end - 1)), ec);
    return !ec && (end + 1 == name.size() || name[end + 1] == ':');
  }
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos) name = name.substr(0, colon);
  if (name.ends_with('.')) name.remove_suffix(1);  // "localhost." is localhost
  if (beast::iequals(name, "localhost") ||
      (name.size() > 10 && beast::iequals(name.substr(name.size() - 10), ".localhost"))) {
    return true;
  }
  boost::system::error_code ec;
  net::ip::make_address_v4(std::string(name), ec);
  return !ec;
}

namespace {

// Whether the authority `host` ("name[:port]") names one of `names`, whatever its case.
bool names_one_of(std::string_view host, const std::vector<std::string>& names) {
  if (!host.starts_with('[')) {
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  }
  return std::any_of(names.begin(), names.end(),
                     [host](const std::string& name) { return beast::iequals(host, name); });
}

// Whether the client waits for "100 Continue" before it sends the body (RFC 9110
// 10.1.1: only an HTTP/1.1 request, and only that expectation).
bool expects_continue(const request& header) {
  return header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue");
}

// The reply to a request the parser refused; the connection closes after it. `body_limit`:
// the most its route takes, which a 413 names; `unparsed`: the bytes the parser left,
// where a header over the limit with no line end is a request line over it (414, not 431:
// a client told its headers are too large looks at its cookies, not its URL).
response parse_error_reply(const boost::system::error_code& ec, std::size_t body_limit, std::string_view unparsed) {
  request dummy;
  dummy.version(11);
  dummy.keep_alive(false);
  if (ec == http::error::header_limit && unparsed.find('\n') == std::string_view::npos) {
    return error_response(dummy, http::status::uri_too_long,
                          "Request line too long: send the data in a request body, not the URL");
  }
  if (ec == http::error::body_limit) {
    if (body_limit == 0) {
      return error_response(dummy, http::status::payload_too_large,
                            "A request here takes no body; send it without one");
    }
    return error_response(dummy, http::status::payload_too_large,
                          fmt::format("Request body too large: this route takes at most {} bytes", body_limit));
  }
  if (ec == http::error::header_limit) {
    return error_response(dummy, http::status::request_header_fields_too_large, "Request headers too large");
  }
  if (ec == http::error::bad_transfer_encoding) {
    return error_response(
        dummy, http::status::bad_request,
        "Unsupported Transfer-Encoding: send a Content-Length, or Transfer-Encoding: chunked alone over HTTP/1.1");
  }
  if (ec == http::error::buffer_overflow) {
    return error_response(dummy, http::status::bad_request,
                          fmt::format("Chunk extensions or trailer fields longer than {} bytes", max_unparsed_bytes));
  }
  return error_response(dummy, http::status::bad_request, "Malformed HTTP request: " + ec.message());
}

// A reply to a request that was not (or not fully) read; the connection closes after it.
response refusal(http::status status, const std::string& message) {
  request dummy;
  dummy.version(11);
  dummy.keep_alive(false);
  auto res = error_response(dummy, status, message);
  if (status == http::status::service_unavailable || status == http::status::too_many_requests) {
    res.set(http::field::retry_after, "5");
  }
  return res;
}

}  // namespace

// A connection over a cap: read its request header (so that the client, which has
// sent it, reads the answer instead of a reset), answer, and close. Bounded in time
// (2 s to read, 2 s to write, 1 s to drain) and bytes; beyond max_refusing() of them
// at once, accept_loop closes new ones without an answer.
net::awaitable<void> http_server::refuse(tcp::socket socket, connection_limits::verdict why) {
  const auto started = std::chrono::steady_clock::now();
  ++refusing_;
  struct done_guard {
    std::size_t& count;
    ~done_guard() { --count; }
  } done{refusing_};
  const bool total = why == connection_limits::verdict::too_many_total;
  spdlog::debug("http: connection refused: {}", total ? "too many connections" : "too many from one address");
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(8 * 1024);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  const auto header_time = std::min<std::chrono::milliseconds>(opts_.read_timeout, std::chrono::seconds(2));
  stream.expires_after(header_time);
  boost::system::error_code ec;
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  auto res = total ? refusal(http::status::service_unavailable, "Too many connections; retry later")
                   : refusal(http::status::too_many_requests, "Too many connections from your address");
  const auto method = parser.is_header_done() ? parser.get().method() : http::verb::unknown;
  auto writing = write_own_reply(stream, method, std::move(res), started,
                                 {.drain = true,
                                  .write_time = std::chrono::seconds(2),
                                  .linger = std::chrono::seconds(1),
                                  .drain_bytes = 64 * 1024});
  co_await std::move(writing);
}

namespace {

// A HEAD reply announces the body's length but must not carry it (RFC 9110, 9.3.2).
void without_body_for_head(response& res) {
  auto length = res.body().size();
  res.body().clear();
  res.content_length(length);
}

}  // namespace

net::awaitable<void> http_server::write_own_reply(beast::tcp_stream& stream, http::verb method, response res,
                                                  std::chrono::steady_clock::time_point started, own_reply_rule rule) {
  // The server's own refusals too (a HEAD with a body, a bad Host): an outside review read
  // their bodies after a HEAD.
  if (method == http::verb::head) without_body_for_head(res);
  if (opts_.metrics)
    opts_.metrics->observe(method, "refused", res.result_int(), std::chrono::steady_clock::now() - started);
  stream.expires_after(rule.write_time.count() > 0 ? rule.write_time : opts_.read_timeout);
  boost::system::error_code ec;
  co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
  if (!ec && rule.drain) co_await drain(stream, rule.linger, rule.drain_bytes);
}

http_server::takeover http_server::taken_over(const request& header) const {
  if (on_upgrade_ && wants_upgrade_ && beast::websocket::is_upgrade(header) && wants_upgrade_(header))
    return takeover::upgrade;
  if (on_stream_ && wants_stream_ && wants_stream_(header)) return takeover::stream;
  return takeover::none;
}

namespace {

// The answer to a request that arrives while the server stops; the connection closes.
response shutting_down_reply() {
  auto res = refusal(http::status::service_unavailable, "The server is shutting down; send the request again");
  res.set(http::field::retry_after, "1");
  return res;
}

// Writes the reply to a request of `version` (to a HEAD, the length without the body);
// `res` closes the connection after it when `keep_alive` is false.
net::awaitable<boost::system::error_code> write_reply(beast::tcp_stream& stream, response& res, unsigned version,
                                                      bool keep_alive, bool head, std::chrono::milliseconds timeout) {
  res.version(version);
  if (!keep_alive) res.keep_alive(false);
  if (head) without_body_for_head(res);
  stream.expires_after(timeout);
  boost::system::error_code ec;
  co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

}  // namespace

// `slot` counts the connection against the caps for as long as this coroutine runs.
net::awaitable<void> http_server::session(tcp::socket socket, [[maybe_unused]] connection_limits::slot slot,
                                          std::string client_address) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(max_unparsed_bytes);
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(boost::none);  // decided below, once the plan says where it goes
    parser.header_limit(16 * 1024);
    boost::system::error_code ec;
    // A kept-alive connection may wait the idle timeout for its next request; once that
    // request's first byte is in, it has the read timeout to arrive whole, as the first
    // one had (it had the idle timeout for all of it: a request trickled in over 60 s).
    if (!first && buffer.size() == 0) {
      stream.expires_after(opts_.idle_timeout);
      const auto got =
          co_await stream.async_read_some(buffer.prepare(4096), net::redirect_error(net::use_awaitable, ec));
      if (ec) break;  // closed, or idle for too long
      buffer.commit(got);
    }
    stream.expires_after(opts_.read_timeout);
    const auto started = std::chrono::steady_clock::now();
    first = false;
    // An upload's bytes, held from before its read until the reply is written.
    upload_budget::reservation body_bytes;
    request_plan plan;
    std::size_t limit = opts_.body_limit;  // the route's, once its plan is known
    co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (!ec && !framed_unambiguously(parser.get())) ec = http::error::bad_transfer_encoding;
    if (!ec && !host_named_once(parser.get())) {
      auto refusing = write_own_reply(
          stream, parser.get().method(),
          refusal(http::status::bad_request, "Malformed HTTP request: an HTTP/1.1 request names its Host once"),
          started, {.drain = !parser.is_done()});
      co_await std::move(refusing);
      break;
    }
    if (!ec && opts_.local_hosts_only && parser.get().count(http::field::host) &&
        !names_no_rebindable_host(std::string_view(parser.get()[http::field::host])) &&
        !names_one_of(std::string_view(parser.get()[http::field::host]), opts_.also_served_hosts)) {
      auto res = refusal(http::status::forbidden,
                         "This server has no authentication (AUTH_MODE=none) and answers only requests for an IP "
                         "address, localhost or PUBLIC_URL's host: open it as http://127.0.0.1:<port> (a page of "
                         "another name may be DNS rebinding)");
      auto refusing =
          write_own_reply(stream, parser.get().method(), std::move(res), started, {.drain = !parser.is_done()});
      co_await std::move(refusing);
      break;
    }
    if (!ec && stopped_) {
      // A request read after stop() (on a kept-alive connection) is refused untouched:
      // what it needs may be closing, and a client can send it again elsewhere.
      auto refusing = write_own_reply(stream, parser.get().method(), shutting_down_reply(), started, {});
      co_await std::move(refusing);
      break;
    }
    const auto takes = ec ? takeover::none : taken_over(parser.get());
    // Counted from its header until its reply is written, however it ends: stopping waits
    // for it, a body still arriving included, which then gets the 503 below (an operator's
    // review: a send whose body trickled in at SIGTERM was cut without an answer).
    std::optional<answering_count> counted;
    if (!ec && takes == takeover::none) counted.emplace(*this);
    if (!ec && takes == takeover::none) {
      // Who calls, and whether they may, from the header alone: the body waits.
      auto planning = planner_(parser.get(), client_address);
      plan = co_await std::move(planning);
      if (plan.refusal) {
        // A body left unread cannot be told from the next request: close after it.
        const auto& header = parser.get();
        const bool body_unread = !parser.is_done();
        const bool keep_alive = header.keep_alive() && !body_unread;
        const bool head = header.method() == http::verb::head;
        auto writing = write_reply(stream, *plan.refusal, header.version(), keep_alive, head, opts_.read_timeout);
        ec = co_await std::move(writing);
        if (!ec && body_unread) co_await drain(stream);
        if (ec || !plan.refusal->keep_alive()) break;
        continue;
      }
    }
    if (!ec) {
      // A stream or an upgrade takes no body: refused unread, before anyone is authenticated.
      const bool no_body = plan.no_body || takes != takeover::none;
      limit = no_body ? 0 : plan.body_limit ? plan.body_limit : opts_.body_limit;
      const std::string& client = plan.client_address.empty() ? client_address : plan.client_address;
      auto length = parser.content_length();
      const std::size_t wanted = parser.is_done() ? 0 : length ? *length : limit;
      // Refused before the body is read: its answer, then the connection closes.
      std::optional<response> refused;
      if (no_body && length && *length > 0) {
        // Said apart from "too large": the fix is to send none (a client library that
        // adds "{}" to every request, say), not a smaller one.
        const auto method = parser.get().method_string();
        refused =
            refusal(http::status::payload_too_large, fmt::format("A {} request here takes no body; send it without one",
                                                                 std::string_view(method.data(), method.size())));
      } else if (length && *length > limit) {
        ec = http::error::body_limit;
      } else if (plan.upload) {
        const std::string address_owner = "address " + app::address_key(client);
        std::vector<std::string> owners{address_owner};
        if (!plan.upload_owner.empty()) owners.push_back("user " + plan.upload_owner);
        const auto verdict = uploads_.try_reserve(wanted, owners, body_bytes);
        if (verdict != upload_budget::verdict::reserved) {
          spdlog::debug("http: refused a {}-byte upload from {}: {} of {} bytes in flight, {} from this address",
                        wanted, client, uploads_.used(), opts_.max_body_bytes_in_flight,
                        uploads_.used_by(address_owner));
          refused = verdict == upload_budget::verdict::budget_full
                        ? refusal(http::status::service_unavailable, "Too many uploads in progress; retry later")
                        : refusal(http::status::too_many_requests,
                                  "Too many uploads in progress from your address or user; retry later");
        }
      }
      if (refused) {
        auto refusing = write_own_reply(stream, parser.get().method(), std::move(*refused), started, {.drain = true});
        co_await std::move(refusing);
        break;
      }
      if (!ec) {
        parser.body_limit(limit);
        if (!parser.is_done() && expects_continue(parser.get())) {
          // The client waits for this before it sends the body (curl for one over 1 MiB,
          // a second; Node's client until its timeout): the request was let through.
          http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
          co_await http::async_write(stream, go_on, net::redirect_error(net::use_awaitable, ec));
        }
        // The body has the read timeout plus a second per min_body_rate bytes of what has
        // arrived: one deadline for all of a 20 MiB upload cut any slower than 11 Mbit/s
        // (an HTTP review).
        const auto body_started = std::chrono::steady_clock::now();
        std::size_t arrived = 0;
        while (!ec && !parser.is_done()) {
          // And each read within the read timeout: a body sent early and then held back
          // kept its connection and upload reservation for the credit it had earned.
          const auto earned =
              body_started + opts_.read_timeout + std::chrono::milliseconds(arrived * 1000 / min_body_rate);
          stream.expires_at(std::min(earned, std::chrono::steady_clock::now() + opts_.read_timeout));
          arrived +=
              co_await http::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        }
      }
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      break;
    }
    if (ec) {
      // The client may still be sending what was refused: read it away, so that it
      // reads this answer rather than a reset.
      const bool too_large =
          ec == http::error::body_limit || ec == http::error::buffer_overflow || ec == http::error::header_limit;
      const auto method = parser.is_header_done() ? parser.get().method() : http::verb::unknown;
      const std::string_view unparsed(static_cast<const char*>(buffer.data().data()), buffer.data().size());
      auto reply = parse_error_reply(ec, limit, unparsed);
      auto refusing = write_own_reply(stream, method, std::move(reply), started, {.drain = too_large});
      co_await std::move(refusing);
      break;
    }
    request req = parser.release();
    if (takes != takeover::none) {
      stream.expires_never();
      auto& hook = takes == takeover::upgrade ? on_upgrade_ : on_stream_;
      auto running = hook(std::move(stream), std::move(req));
      co_await std::move(running);
      co_return;
    }
    // The handler may take long (a long-poll); the read deadline does not apply to it.
    stream.expires_never();
    if (stopped_) {
      // Stopped while this request was planned or its body read: whatever its handler
      // needs may be closing by now (the wait for answers did not count it).
      auto refusing = write_own_reply(stream, req.method(), shutting_down_reply(), started, {});
      co_await std::move(refusing);
      break;
    }
    const bool wants_keep_alive = req.keep_alive();
    const auto version = req.version();
    const bool head = req.method() == http::verb::head;
    auto answering = plan.respond(std::move(req));
    response res = co_await std::move(answering);
    // Once stopping, this reply is the connection's last.
    const bool keep_alive = wants_keep_alive && !stopped_;
    auto writing = write_reply(stream, res, version, keep_alive, head, opts_.read_timeout);
    ec = co_await std::move(writing);
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace drover::httpd
